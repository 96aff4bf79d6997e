import type { Authorized, Store } from './store.js';

/**
 * `Store.authorize` made of getKey and hitRateLimit, for a store where two calls cost nothing
 * more than one (the memory store); the Redis store does both in one script.
 */
export async function authorizeBy(
  store: Pick<Store, 'getKey' | 'hitRateLimit'>,
  key: string,
  now: number,
): Promise<Authorized | undefined> {
  const rec = await store.getKey(key);
  return rec && { key: rec, window: await store.hitRateLimit(key, rec.rateLimit, now) };
}
