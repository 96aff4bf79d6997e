import { createHmac, createSecretKey, randomFillSync, type KeyObject } from 'node:crypto';

const TOKEN_CHARS = 22;

/**
 * The unguessable part of a task's image URLs: HMAC-SHA256 of the task id under the run's URL
 * secret, 128 bits in base64url. Task ids follow from the seed, so without it anyone could
 * guess another team's images on a shared simulator.
 */
export function imageToken(secret: string | KeyObject, taskId: string): string {
  return flat(createHmac('sha256', secret).update(taskId).digest('base64url').slice(0, TOKEN_CHARS));
}

/**
 * A flat copy of a short ASCII string. A token cut from a longer digest (`.slice`) is a V8 sliced
 * string that keeps the whole digest alive with it: about 60 bytes more for each task that keeps one.
 */
const flat = (s: string): string => Buffer.from(s, 'latin1').toString('latin1');

/**
 * `imageToken` under one secret, for every task of a run: the secret is made a KeyObject once,
 * so a token does not re-encode it (about a fifth of the HMAC's cost); the same tokens.
 */
export function imageTokens(secret: string): (taskId: string) => string {
  const key = createSecretKey(Buffer.from(secret, 'utf8'));
  return (taskId) => imageToken(key, taskId);
}

/** Random bytes drawn at a time for the unkeyed tokens: 256 tokens. */
const POOL_BYTES = 4096;

/**
 * Tokens of 128 random bits each, in base64url as `imageToken`'s: what an HMAC under a secret
 * fresh on every start gives an outsider (nothing to guess from), without the HMAC: 0.1 µs a
 * token against 2.1 µs, which was 4% of gwsim's CPU at --time-scale 0.001 where every task
 * completes. Drawn from a pool filled `POOL_BYTES` at a time; nothing is ever drawn twice.
 */
export function randomImageTokens(): () => string {
  const pool = Buffer.allocUnsafeSlow(POOL_BYTES);
  let used = POOL_BYTES;
  return () => {
    if (used === POOL_BYTES) {
      randomFillSync(pool);
      used = 0;
    }
    used += 16;
    return pool.toString('base64url', used - 16, used);
  };
}

/**
 * The run's image tokens: with the config's `images.url_secret`, the HMAC of the task id (the
 * same URLs under a fixed seed); without it, fresh random ones (URLs differ on every start).
 */
export const runImageTokens = (configured: string | undefined): ((taskId: string) => string) =>
  configured === undefined ? randomImageTokens() : imageTokens(configured);
