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
import { CredentialCache } from '../security/credential-cache.ts';
import type { Store } from './types.ts';

/** How long a read is kept: the longest another process may act on a revoked token or a changed subscription. */
export const TTL_MS = 1000;

/** The reads kept, by method name. */
const CACHED = new Set<keyof Store>(['findSession', 'subscribedWebhookIds', 'getClusterPreferences', 'getOrgPreferences']);

/** The writes that change what the cached reads answer: each empties the cache. */
const INVALIDATING = new Set<keyof Store>([
  'createOrg', 'updateOrg', 'deleteOrg', 'createUser', 'updateUser', 'deleteUser', 'changeOrgMembers', 'revokeToken', 'revokeUserTokens',
  'insertWebhook', 'updateWebhook', 'deleteWebhook', 'configurePreferences',
]);

type Method = (...args: unknown[]) => Promise<unknown>;

/** Who else keeps what these writes change (the worker's opened webhook rows), by cached store. */
const writeListeners = new WeakMap<Store, Set<() => void>>();

/** Calls `listener` after each write through this cached store that empties its cache. */
export function onWrite(store: Store, listener: () => void): void {
  writeListeners.get(store)?.add(listener);
}

export function withReadCache(store: Store, now: () => number = Date.now): Store {
  const cache = new CredentialCache<unknown>(now);
  const listeners = new Set<() => void>();

  const cached = (name: string, fn: Method): Method => (...args) =>
    cache.get(`${name}\u0000${JSON.stringify(args)}`, async () => {
      const value = await fn(...args);
      // Unknown tokens are kept stale, for the next sweep to drop: a flood of made-up ones must not fill the cache.
      return value === null ? { value, refreshAt: 0 } : { value: deepFreeze(value), refreshAt: now() + TTL_MS };
    });

  const invalidating = (fn: Method): Method => async (...args) => {
    try {
      return await fn(...args);
    } finally {
      cache.clear();
      for (const listener of listeners) listener();
    }
  };

  // Methods bound once (a store's methods are fixed for its life): the hot path's calls pass
  // through without a new function per call.
  const methods = new Map<PropertyKey, Method>();
  const proxy = new Proxy(store, {
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
  writeListeners.set(proxy, listeners);
  return proxy;
}

/** A kept answer is shared by every caller: frozen, so none can change it for the others. */
function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}
