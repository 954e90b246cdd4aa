/**
 * A Map that forgets entries older than maxAgeMs and holds at most maxSize
 * (the oldest go first). Insertion order is age order, so pruning only looks
 * at the head. Used for memories that must not grow without bound: ended
 * matches (tombstones) and connections whose call ended while they were away.
 */
export class ExpiringMap<K, V> {
  readonly #entries = new Map<K, { value: V; at: number }>();

  constructor(
    private readonly maxAgeMs: number,
    private readonly maxSize: number,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.#entries.size;
  }

  set(key: K, value: V): void {
    this.#entries.delete(key);
    this.#entries.set(key, { value, at: this.now() });
    this.#prune();
  }

  get(key: K): V | undefined {
    this.#prune();
    return this.#entries.get(key)?.value;
  }

  #prune(): void {
    const oldest = this.now() - this.maxAgeMs;
    for (const [key, entry] of this.#entries) {
      if (this.#entries.size <= this.maxSize && entry.at > oldest) break;
      this.#entries.delete(key);
    }
  }
}
