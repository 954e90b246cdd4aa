import { callFields, type CallRecord, type Store } from './types';

/**
 * The embedded default: in-process, gone on restart. Bounded so a long-running
 * server cannot grow without limit (oldest records drop first).
 */
export class MemoryStore implements Store {
  readonly kind = 'memory' as const;
  readonly #calls = new Map<string, CallRecord>();

  constructor(private readonly maxCalls = 100_000) {}

  async recordCall(call: CallRecord): Promise<void> {
    if (this.#calls.has(call.matchId)) return;
    this.#calls.set(call.matchId, callFields(call));
    if (this.#calls.size > this.maxCalls) this.#calls.delete(this.#calls.keys().next().value!);
  }

  async findCall(matchId: string): Promise<CallRecord | undefined> {
    const call = this.#calls.get(matchId);
    return call && callFields(call);
  }

  async recentCalls(limit: number): Promise<CallRecord[]> {
    return [...this.#calls.values()]
      .sort((a, b) => b.endedAt.getTime() - a.endedAt.getTime())
      .slice(0, limit)
      .map(callFields);
  }

  async countCalls(): Promise<number> {
    return this.#calls.size;
  }

  async close(): Promise<void> {}
}
