/** What the offscreen document exposes on `window.tabcall` for views in the same process (and for tests' getStats). */
export interface OffscreenMedia {
  readonly local: MediaStream | null;
  readonly remote: MediaStream | null;
  readonly peer: RTCPeerConnection | null;
  /**
   * Fires `remote` when the stranger's tracks change (a track arrives with the stranger's
   * description, or the call ends): a view swaps its video in at once, long before the first
   * frame, instead of waiting for the next state from the worker.
   */
  readonly changes: EventTarget;
}
