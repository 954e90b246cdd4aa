/**
 * Signals to the stranger (offers, answers, candidates) that could not go out
 * yet: the link was down, a resume was in flight, or the server refused them
 * with `partner_away` (its hold for an away stranger was full). They go out in
 * order once signaling is back; those of another call are dropped.
 */
import type { SignalData } from '../../shared/protocol';

/** An ICE restart trickles a few dozen candidates; beyond this, the oldest go (the next restart recovers). */
export const OUTBOX_LIMIT = 256;

export interface QueuedSignal {
  seq: number;
  matchId: string;
  data: SignalData;
}

export class SignalOutbox {
  #queue: QueuedSignal[] = [];
  #seq = 0;
  /** Refused with partner_away: wait for partner:back before trying again. */
  #held = false;

  get size(): number {
    return this.#queue.length;
  }

  get held(): boolean {
    return this.#held;
  }

  push(matchId: string, data: SignalData): void {
    this.#queue.push({ seq: this.#seq++, matchId, data });
    if (this.#queue.length > OUTBOX_LIMIT) this.#queue.shift();
  }

  /** Takes everything for `matchId` out, in order (and drops other calls' signals), unless held. */
  take(matchId: string): QueuedSignal[] {
    if (this.#held) return [];
    const out = this.#queue.filter((s) => s.matchId === matchId);
    this.#queue = [];
    return out;
  }

  /** A signal the server refused with partner_away: back in its place, and hold until partner:back. */
  putBack(signal: QueuedSignal): void {
    this.#held = true;
    this.#queue.push(signal);
    this.#queue.sort((a, b) => a.seq - b.seq);
  }

  /** partner:back, or a resume: try again. */
  release(): void {
    this.#held = false;
  }

  clear(): void {
    this.#queue = [];
    this.#held = false;
  }
}
