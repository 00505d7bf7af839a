/**
 * Read coalescing for the hot per-decision queries: calls made while `maxInFlight` queries
 * are already running wait and are then answered together, by one query over the union of
 * their keys. A call's query always starts after the call was made, so it sees everything
 * committed before it (a tombstone written before the call is found), exactly as a query
 * of its own would; only the number of round trips and plans changes.
 */
export class Coalesced<K, V> {
  private waiting: { keys: readonly K[]; resolve: (m: Map<K, V>) => void; reject: (e: unknown) => void }[] = [];
  private running = 0;

  constructor(
    /** Answers a set of keys; keys with no answer are left out of the map. */
    private readonly fetch: (keys: K[]) => Promise<Map<K, V>>,
    private readonly maxInFlight = 2,
  ) {}

  /** The answers for `keys` (those found), from a query started after this call. */
  get(keys: readonly K[]): Promise<Map<K, V>> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ keys, resolve, reject });
      this.next();
    });
  }

  private next(): void {
    if (this.running >= this.maxInFlight || this.waiting.length === 0) return;
    const calls = this.waiting;
    this.waiting = [];
    this.running++;
    this.fetch([...new Set(calls.flatMap((c) => c.keys))]).then(
      (m) => calls.forEach((c) => c.resolve(m)),
      (e: unknown) => calls.forEach((c) => c.reject(e)),
    ).finally(() => {
      this.running--;
      this.next();
    });
  }
}
