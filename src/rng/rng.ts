import type { Quantiles } from '../catalog/catalog-schema.js';

/** A seeded source of uniform numbers in [0, 1). */
export interface Rng {
  next(): number;
}

/** FNV-1a of a string: turns an id into a seed part for mix32. */
export const hashString = (s: string): number => {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
};

/** Mix 32-bit words into one (murmur3's finaliser over a running hash). */
export function mix32(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    h = Math.imul(h ^ (p >>> 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** mulberry32: small, fast, and good enough for emulating latencies and outcomes. */
export function createRng(seed: number): Rng {
  let a = seed >>> 0;
  return {
    next() {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

const Z95 = 1.6448536269514722; // the standard normal's 95th percentile

/** A standard normal draw (Box–Muller). */
export function normal(rng: Rng): number {
  const u = 1 - rng.next(); // (0, 1]: log(0) is not a number
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
}

/**
 * A draw from the log-normal whose 5th and 95th percentiles are `q.p5` and `q.p95`: a latency
 * described the way product pages do ("3–8 seconds"), with the long right tail real ones have.
 */
export function sampleQuantiles(rng: Rng, q: Quantiles): number {
  if (q.p95 <= 0) return 0;
  if (q.p5 <= 0 || q.p5 === q.p95) return q.p5 === q.p95 ? q.p95 : rng.next() * q.p95;
  const mu = (Math.log(q.p5) + Math.log(q.p95)) / 2;
  const sigma = (Math.log(q.p95) - Math.log(q.p5)) / (2 * Z95);
  return Math.exp(mu + sigma * normal(rng));
}

/** Pick an item by weight. */
export function pickWeighted<T extends { weight: number }>(rng: Rng, items: readonly T[]): T {
  const total = items.reduce((s, i) => s + i.weight, 0);
  let r = rng.next() * total;
  for (const item of items) {
    r -= item.weight;
    if (r < 0) return item;
  }
  return items[items.length - 1]!;
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

export function randomString(rng: Rng, length: number): string {
  let s = '';
  for (let i = 0; i < length; i++) s += ALPHABET[Math.floor(rng.next() * ALPHABET.length)];
  return s;
}
