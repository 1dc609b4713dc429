// Credentials that expire (OAuth2 access tokens, STS role sessions, the worker's webhook rows with
// their opened secrets): each kept until its refresh time, and fetched once per key however many
// deliveries ask for it at the same moment.
export class CredentialCache<V> {
  private readonly entries = new Map<string, { value: V; refreshAt: number }>();
  private readonly pending = new Map<string, Promise<V>>();
  /** Size at which expired entries are next swept: a sweep per fetch would cost O(entries) each. */
  private sweepAt = 64;

  constructor(private readonly now: () => number = Date.now) {}

  /** The cached value while before its refresh time; else the one fetch under way for the key. */
  get(key: string, fetch: () => Promise<{ value: V; refreshAt: number }>): Promise<V> {
    const hit = this.entries.get(key);
    if (hit && this.now() < hit.refreshAt) return Promise.resolve(hit.value);
    let p = this.pending.get(key);
    if (!p) {
      p = fetch()
        .then(({ value, refreshAt }) => {
          this.prune();
          this.entries.set(key, { value, refreshAt });
          return value;
        })
        .finally(() => this.pending.delete(key));
      this.pending.set(key, p);
    }
    return p;
  }

  /** Forgets a key's value (the other side no longer accepts it). */
  invalidate(key: string): void {
    this.entries.delete(key);
  }

  private prune(): void {
    if (this.entries.size < this.sweepAt) return;
    const now = this.now();
    for (const [k, v] of this.entries) if (v.refreshAt <= now) this.entries.delete(k);
    this.sweepAt = Math.max(64, 2 * this.entries.size);
  }
}
