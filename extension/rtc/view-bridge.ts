/**
 * The fallback for showing the call's video in a view when the view cannot
 * reach the offscreen document's window: a loopback RTCPeerConnection per
 * view. The view offers two receive-only video transceivers (mid order:
 * local preview, then the stranger); we answer with our tracks. The stranger's
 * track is swapped in place (replaceTrack) when the stranger changes, so a
 * view's elements never need re-wiring.
 */
export const BRIDGE_SLOTS = ['local', 'remote'] as const;

/** Resolves once ICE gathering is done: on loopback that is a few milliseconds, and it saves trickling. */
export function gatheringDone(pc: RTCPeerConnection): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const check = () => {
      if (pc.iceGatheringState !== 'complete') return;
      pc.removeEventListener('icegatheringstatechange', check);
      resolve();
    };
    pc.addEventListener('icegatheringstatechange', check);
  });
}

export class ViewBridges {
  readonly #bridges = new Map<string, RTCPeerConnection>();
  #tracks: Record<(typeof BRIDGE_SLOTS)[number], MediaStreamTrack | null> = { local: null, remote: null };

  async open(bridgeId: string, offerSdp: string): Promise<string> {
    this.close(bridgeId);
    const pc = new RTCPeerConnection();
    this.#bridges.set(bridgeId, pc);
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === 'failed' || pc.connectionState === 'closed') this.close(bridgeId);
    };
    await pc.setRemoteDescription({ type: 'offer', sdp: offerSdp });
    pc.getTransceivers().forEach((transceiver, index) => {
      transceiver.direction = 'sendonly';
      const slot = BRIDGE_SLOTS[index];
      if (slot) void transceiver.sender.replaceTrack(this.#tracks[slot]);
    });
    await pc.setLocalDescription();
    await gatheringDone(pc);
    return pc.localDescription!.sdp;
  }

  close(bridgeId: string): void {
    this.#bridges.get(bridgeId)?.close();
    this.#bridges.delete(bridgeId);
  }

  /** Points every open view at a new local or remote track (null shows nothing). */
  setTrack(slot: (typeof BRIDGE_SLOTS)[number], track: MediaStreamTrack | null): void {
    this.#tracks[slot] = track;
    const index = BRIDGE_SLOTS.indexOf(slot);
    for (const pc of this.#bridges.values()) void pc.getTransceivers()[index]?.sender.replaceTrack(track);
  }
}
