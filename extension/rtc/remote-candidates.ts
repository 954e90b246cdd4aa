/**
 * Holds the stranger's ICE candidates until the description they belong to is
 * applied. addIceCandidate before setRemoteDescription throws, and other
 * WebRTC stacks send candidates while still setting their local description,
 * so a candidate may arrive before its offer or answer. Each ICE generation
 * (the first one, then one per ICE restart) has its own username fragment:
 * a candidate naming a fragment no applied description has yet waits for that
 * description; one naming a fragment a later description replaced is dropped.
 */

/** A remote candidate as signaled; null (or an empty `candidate` string) ends candidates. */
export type RemoteCandidate = RTCIceCandidateInit | null;

/** Candidates kept at most while their description is late (the server lets 300 signals through per 10 s). */
export const MAX_PENDING = 200;

/** The ICE username fragments a description names (one per m-section; bundled sections share one). */
export function iceUfrags(sdp: string): Set<string> {
  return new Set([...sdp.matchAll(/^a=ice-ufrag:(\S+)/gm)].map((m) => m[1]!));
}

export class RemoteCandidates {
  /** Fragments of the remote description now applied; undefined before the first. */
  #current?: Set<string>;
  /** Fragments of remote descriptions since replaced (earlier ICE generations). */
  readonly #past = new Set<string>();
  #pending: Array<{ candidate: RemoteCandidate; ufrag?: string }> = [];
  /** The fragment of the last candidate that named one: an end marker without one closes that generation. */
  #lastUfrag?: string;

  /** @param add applies a candidate to the connection (RTCPeerConnection.addIceCandidate). */
  constructor(private readonly add: (candidate: RTCIceCandidateInit | undefined) => Promise<void>) {}

  /** A candidate from the stranger: added now if its description is applied, else kept for it. */
  async receive(candidate: RemoteCandidate): Promise<void> {
    const ufrag = candidate?.usernameFragment || (isEnd(candidate) ? this.#lastUfrag : undefined);
    if (candidate?.usernameFragment) this.#lastUfrag = candidate.usernameFragment;
    const fate = this.#fate(ufrag);
    if (fate === 'add') return this.add(candidate ?? undefined);
    if (fate === 'wait') {
      this.#pending.push({ candidate, ufrag });
      if (this.#pending.length > MAX_PENDING) this.#pending.shift();
    }
  }

  /**
   * A remote description was just applied: the candidates that were waiting
   * for it are added, in arrival order; those of replaced generations dropped.
   * A candidate the connection refuses does not stop the others.
   */
  async described(sdp: string): Promise<void> {
    for (const ufrag of this.#current ?? []) this.#past.add(ufrag);
    this.#current = iceUfrags(sdp);
    for (const ufrag of this.#current) this.#past.delete(ufrag);
    const waiting = this.#pending;
    this.#pending = [];
    for (const entry of waiting) {
      const fate = this.#fate(entry.ufrag);
      if (fate === 'wait') this.#pending.push(entry);
      else if (fate === 'add') await this.add(entry.candidate ?? undefined).catch((error: unknown) => console.warn('candidate refused', error));
    }
  }

  #fate(ufrag: string | undefined): 'add' | 'wait' | 'drop' {
    if (!this.#current) return 'wait';
    // A candidate naming no fragment (or a description naming none) is for the description now applied.
    if (ufrag === undefined || this.#current.size === 0 || this.#current.has(ufrag)) return 'add';
    return this.#past.has(ufrag) ? 'drop' : 'wait';
  }
}

const isEnd = (candidate: RemoteCandidate) => candidate === null || candidate.candidate === '' || candidate.candidate === undefined;
