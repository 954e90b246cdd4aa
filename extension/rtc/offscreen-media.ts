/** What the offscreen document exposes on `window.tabcall` for views in the same process (and for tests' getStats). */
export interface OffscreenMedia {
  readonly local: MediaStream | null;
  readonly remote: MediaStream | null;
  readonly peer: RTCPeerConnection | null;
}
