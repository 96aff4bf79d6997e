import { createHmac, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';

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

/** The config's `images.url_secret` (fixed URLs under a fixed seed), else a fresh one per run. */
export const urlSecret = (configured: string | undefined): string =>
  configured ?? randomBytes(32).toString('base64url');
