// Values that expire (OAuth2 access tokens, STS role sessions, the worker's webhook rows with
// their opened secrets, the store's read cache): each kept until its refresh time, and fetched
// once per key however many callers ask for it at the same moment.
export class CredentialCache<V> {
  private readonly entries = new Map<string, { value: V; refreshAt: number }>();
  private readonly pending = new Map<string, Promise<V>>();
  /** Size at which expired entries are next swept: a sweep per fetch would cost O(entries) each. */
  private sweepAt = 64;
  /** Bumped by clear(): a fetch that started before it answers its callers but is not kept. */
  private generation = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** The cached value while before its refresh time; else the one fetch under way for the key. */
  get(key: string, fetch: () => Promise<{ value: V; refreshAt: number }>): Promise<V> {
    const hit = this.entries.get(key);
    if (hit && this.now() < hit.refreshAt) return Promise.resolve(hit.value);
    let p = this.pending.get(key);
    if (!p) {
      const started = this.generation;
      const fetching: Promise<V> = fetch()
        .then(({ value, refreshAt }) => {
          if (started === this.generation) {
            this.prune();
            this.entries.set(key, { value, refreshAt });
          }
          return value;
        })
        .finally(() => {
          if (this.pending.get(key) === fetching) this.pending.delete(key);
        });
      this.pending.set(key, fetching);
      p = fetching;
    }
    return p;
  }

  /** Forgets a key's value (the other side no longer accepts it). */
  invalidate(key: string): void {
    this.entries.delete(key);
  }

  /** Forgets every value, and the fetches under way: the source changed. */
  clear(): void {
    this.generation++;
    this.entries.clear();
    this.pending.clear();
  }

  private prune(): void {
    if (this.entries.size < this.sweepAt) return;
    const now = this.now();
    for (const [k, v] of this.entries) if (v.refreshAt <= now) this.entries.delete(k);
    this.sweepAt = Math.max(64, 2 * this.entries.size);
  }
}
