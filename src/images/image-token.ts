import { createHmac, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';
import { hmacSha256 } from './hmac-sha256.js';

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

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** The first TOKEN_CHARS base64url characters of the digest `h` (big-endian words), as one flat string. */
function tokenOf(h: Int32Array, codes: number[]): string {
  // 22 characters of 6 bits: 132 bits, from the first five words (160 bits).
  for (let c = 0; c < TOKEN_CHARS; c++) {
    const bit = c * 6;
    const word = bit >> 5;
    const shift = bit & 31;
    // The 6 bits at `bit`, across a word boundary when they straddle one.
    const hi = (h[word]! << shift) >>> 26;
    const lo = shift > 26 ? h[word + 1]! >>> (58 - shift) : 0;
    codes[c] = BASE64URL.charCodeAt(hi | lo);
  }
  return String.fromCharCode(...codes);
}

/**
 * `imageToken` under one secret, for every task of a run: the same tokens. Task ids are short
 * ASCII, so the HMAC runs from the key's precomputed midstates (hmac-sha256.ts) with no native
 * call; any other id goes through createHmac under a KeyObject made once.
 */
export function imageTokens(secret: string): (taskId: string) => string {
  const bytes = Buffer.from(secret, 'utf8');
  const key = createSecretKey(bytes);
  const digest = hmacSha256(bytes);
  const h = new Int32Array(8);
  const codes: number[] = new Array<number>(TOKEN_CHARS).fill(0);
  return (taskId) => (digest(taskId, h) ? tokenOf(h, codes) : imageToken(key, taskId));
}

/** The config's `images.url_secret` (fixed URLs under a fixed seed), else a fresh one per run. */
export const urlSecret = (configured: string | undefined): string =>
  configured ?? randomBytes(32).toString('base64url');
