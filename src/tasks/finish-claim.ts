import type { Store } from '../store/store.js';

/** Long past any task's life: a claim is only ever contested while its task is finishing. */
const CLAIM_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * Claim the right to write a task's terminal record (and send its webhook), once per task across
 * every instance on the store. It rides the store's atomic first-writer-wins idempotency claim
 * under a scope no request can produce (request scopes are `<api key>\n<printable key>`, with no
 * NUL), so both stores give it without a new store method. True for the one caller that got it.
 */
export async function finishClaim(store: Store, taskId: string, now: number): Promise<boolean> {
  return (await store.claimIdempotency(`\u0000finish\n${taskId}`, 'finish', now, CLAIM_TTL_MS)) === undefined;
}
