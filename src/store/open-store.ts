import { MemoryStore } from './memory-store.js';
import type { Store } from './store.js';
import { StartupError } from '../startup-error.js';

/** The store a `--store` URL names. */
export async function openStore(url: string): Promise<Store> {
  if (url === 'memory' || url === 'memory:') return new MemoryStore();
  throw new StartupError(`unsupported --store '${url}': this version keeps state in memory only (use --store memory)`);
}
