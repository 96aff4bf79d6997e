import { MemoryStore, type MemoryStoreOptions } from './memory-store.js';
import type { RedisStoreOptions } from './redis-store.js';
import type { Store } from './store.js';
import { StartupError } from '../startup-error.js';

/**
 * The store a `--store` URL names: `memory` (the default, embedded) or
 * `redis://[user:pass@]HOST:PORT/DB` (`rediss://` for TLS), connected before this returns; an
 * unreachable Redis is a StartupError naming the URL.
 */
export async function openStore(
  url: string,
  options: RedisStoreOptions = {},
  memory: MemoryStoreOptions = {},
): Promise<Store> {
  if (url === 'memory' || url === 'memory:') return new MemoryStore(memory);
  // Loaded only when asked for: ioredis costs tens of milliseconds of every start.
  if (/^rediss?:\/\//i.test(url)) return (await import('./redis-store.js')).RedisStore.connect(url, options);
  throw new StartupError(`unsupported --store '${url}': use 'memory' or 'redis://HOST:PORT/DB'`);
}
