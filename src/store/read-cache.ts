// The reads every API request and every publish make, kept for a moment: the caller's session
// (bearer token, user, org), the webhooks subscribed to an event type and the channel
// preferences. Each is one round trip to the storage thread or the database server per request,
// and at 1,000 single publishes/s they were two of the three store calls of each publish.
// Bench (2026-11-23, SQLite on its thread): a round trip between two threads costs ~70-77 us
// of CPU on this machine (waking the other thread and being woken back), ~1,000 us of service
// CPU per event at 1,000 publishes/s, where batches of 100 cost ~60 us per event.
//
// Staleness is bounded: a write through this store (a revoked token, a new webhook, changed
// preferences) empties the cache at once, so this process sees it on its next request; other
// processes see it within TTL_MS. Token expiry is checked on every request (resolveToken), not
// cached. Reads under way when a write lands are not kept.
import type { Store } from './types.ts';

/** How long a read is kept: the longest another process may act on a revoked token or a changed subscription. */
export const TTL_MS = 1000;

/** The reads kept, by method name. */
const CACHED = new Set<keyof Store>(['findSession', 'subscribedWebhookIds', 'getClusterPreferences', 'getOrgPreferences']);

/** The writes that change what the cached reads answer: each empties the cache. */
const INVALIDATING = new Set<keyof Store>([
  'createOrg', 'updateOrg', 'deleteOrg', 'createUser', 'setUserOrgs', 'revokeToken', 'revokeUserTokens',
  'insertWebhook', 'updateWebhook', 'deleteWebhook', 'setClusterPreferences', 'replaceOrgPreferences', 'resetOrgPreferences',
]);

type Method = (...args: unknown[]) => Promise<unknown>;

export function withReadCache(store: Store, now: () => number = Date.now): Store {
  const entries = new Map<string, { value: unknown; until: number }>();
  const pending = new Map<string, Promise<unknown>>();
  /** Bumped by every write: a read that started before it is answered but not kept. */
  let generation = 0;
  let sweepAt = 256;

  function cached(name: string, fn: Method): Method {
    return (...args) => {
      const key = `${name}\u0000${JSON.stringify(args)}`;
      const hit = entries.get(key);
      if (hit && now() < hit.until) return Promise.resolve(hit.value);
      let p = pending.get(key);
      if (!p) {
        const started = generation;
        p = fn(...args).then((value) => {
          if (started === generation) {
            // Unknown tokens are not kept: a flood of made-up ones must not fill the cache.
            if (value !== null) entries.set(key, { value: deepFreeze(value), until: now() + TTL_MS });
            if (entries.size >= sweepAt) {
              const t = now();
              for (const [k, e] of entries) if (e.until <= t) entries.delete(k);
              sweepAt = Math.max(256, 2 * entries.size);
            }
          }
          return value;
        }).finally(() => {
          if (pending.get(key) === p) pending.delete(key);
        });
        pending.set(key, p);
      }
      return p;
    };
  }

  function invalidating(fn: Method): Method {
    return async (...args) => {
      try {
        return await fn(...args);
      } finally {
        generation++;
        entries.clear();
        pending.clear();
      }
    };
  }

  // Methods bound once (a store's methods are fixed for its life): the hot path's calls pass
  // through without a new function per call.
  const methods = new Map<PropertyKey, Method>();
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function') return value;
      let m = methods.get(prop);
      if (!m) {
        const fn = (value as Method).bind(target);
        const name = prop as keyof Store;
        m = CACHED.has(name) ? cached(String(prop), fn) : INVALIDATING.has(name) ? invalidating(fn) : fn;
        methods.set(prop, m);
      }
      return m;
    },
  });
}

/** A kept answer is shared by every caller: frozen, so none can change it for the others. */
function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}
