import { createHash, timingSafeEqual } from 'node:crypto';

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Whether two secrets are equal, in time that depends on neither's length nor content (fixed-length digests). */
export function secretsEqual(given: string, want: string): boolean {
  return timingSafeEqual(digest(given), digest(want));
}
