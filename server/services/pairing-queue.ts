/**
 * The waiting queue and the pairing rule, with no I/O and no clock of its own
 * (callers pass `now`), so it can be unit- and model-tested.
 *
 * Rule, for a waiting person E looking at candidates in arrival order:
 *  1. the first candidate sharing an interest with E;
 *  2. else the first candidate where both are "open" (listed no interests, or
 *     have waited interestWaitMs);
 *  3. else, only once both have waited interestWaitMs, someone E just left (or
 *     who just left E): Next avoids re-pairing while anyone else could come.
 * Never E itself or another connection of the same install, never a pair that
 * `canPair` refuses.
 */
export interface QueueEntry {
  /** Socket id: one entry per connection. */
  readonly id: string;
  readonly installId: string;
  readonly interests: readonly string[];
  readonly joinedAt: number;
  /** Install id of the person this one just parted from, avoided while others wait. */
  readonly avoid?: string;
}

export type Pair = readonly [waitedLonger: QueueEntry, joiner: QueueEntry];

export interface PairingQueueOptions {
  /** How long someone with interests waits for a shared one before anyone will do. */
  interestWaitMs: number;
  /** Extra veto (blocks, for instance). */
  canPair?: (a: QueueEntry, b: QueueEntry) => boolean;
}

export class PairingQueue {
  /** Insertion order is arrival order. */
  readonly #entries = new Map<string, QueueEntry>();
  /** Entries already tried once their wait ran out, so the sweep skips them. */
  readonly #sweptOpen = new Set<string>();

  constructor(private readonly options: PairingQueueOptions) {}

  get size(): number {
    return this.#entries.size;
  }

  has(id: string): boolean {
    return this.#entries.has(id);
  }

  entries(): IterableIterator<QueueEntry> {
    return this.#entries.values();
  }

  /** Adds an entry, or replaces its interests in place while keeping its turn. */
  add(entry: QueueEntry): void {
    const existing = this.#entries.get(entry.id);
    this.#entries.set(entry.id, existing ? { ...existing, interests: entry.interests } : entry);
  }

  remove(id: string): boolean {
    this.#sweptOpen.delete(id);
    return this.#entries.delete(id);
  }

  /** Pairs the given waiting entry if anyone suits it now; both leave the queue. */
  pairFor(id: string, now: number): Pair | undefined {
    const entry = this.#entries.get(id);
    if (!entry) return undefined;
    const partner = choosePartner(entry, this.#entries.values(), now, this.options);
    if (!partner) return undefined;
    this.remove(entry.id);
    this.remove(partner.id);
    return [partner, entry];
  }

  /**
   * Retries everyone whose interest wait has just run out. Entries are tried at
   * join and once more here, so a tick costs O(queue) plus one scan per newly
   * opened entry.
   */
  sweep(now: number): Pair[] {
    const pairs: Pair[] = [];
    for (const entry of [...this.#entries.values()]) {
      if (!this.#entries.has(entry.id) || this.#sweptOpen.has(entry.id)) continue;
      if (now - entry.joinedAt < this.options.interestWaitMs) continue;
      this.#sweptOpen.add(entry.id);
      const pair = this.pairFor(entry.id, now);
      if (pair) pairs.push(pair);
    }
    return pairs;
  }
}

/**
 * The pairing rule itself, pure: the partner for `entry` among `candidates`
 * (in arrival order), or none. The in-memory queue passes everyone waiting;
 * the Redis live state passes a bounded window read from Redis and claims the
 * answer atomically.
 */
export function choosePartner(entry: QueueEntry, candidates: Iterable<QueueEntry>, now: number, options: PairingQueueOptions): QueueEntry | undefined {
  const { interestWaitMs, canPair } = options;
  const waitedOut = (e: QueueEntry) => now - e.joinedAt >= interestWaitMs;
  const open = (e: QueueEntry) => e.interests.length === 0 || waitedOut(e);
  let anyone: QueueEntry | undefined;
  let lastResort: QueueEntry | undefined;
  for (const other of candidates) {
    if (other.id === entry.id || other.installId === entry.installId) continue;
    if (canPair && !canPair(entry, other)) continue;
    const shares = other.interests.some((tag) => entry.interests.includes(tag));
    const avoided = entry.avoid === other.installId || other.avoid === entry.installId;
    if (!avoided) {
      if (shares) return other;
      if (!anyone && open(entry) && open(other)) anyone = other;
    } else if (!lastResort && waitedOut(entry) && waitedOut(other)) {
      lastResort = other;
    }
  }
  return anyone ?? lastResort;
}
