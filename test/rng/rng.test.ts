import { describe, expect, it } from 'vitest';
import { createRng, mix32, normal, pickWeighted, randomString, sampleQuantiles, type Rng } from '../../src/rng/rng.js';

const draws = (rng: Rng, n: number) => Array.from({ length: n }, () => rng.next());

/** The empirical q-quantile (nearest rank). */
function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

describe('createRng', () => {
  it('gives the same sequence for the same seed', () => {
    expect(draws(createRng(42), 1000)).toEqual(draws(createRng(42), 1000));
    expect(draws(createRng(0), 100)).toEqual(draws(createRng(0), 100));
  });

  it('gives different sequences for different seeds', () => {
    const a = draws(createRng(1), 50);
    const b = draws(createRng(2), 50);
    expect(a).not.toEqual(b);
    expect(a.filter((x, i) => x === b[i]).length).toBeLessThan(3);
  });

  it('draws uniform numbers in [0, 1)', () => {
    const xs = draws(createRng(7), 20_000);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.49);
    expect(mean).toBeLessThan(0.51);
    // Each tenth of the interval gets about a tenth of the draws.
    const bins = new Array<number>(10).fill(0);
    for (const x of xs) bins[Math.floor(x * 10)]!++;
    for (const b of bins) expect(Math.abs(b / xs.length - 0.1)).toBeLessThan(0.01);
  });

  it('normal() draws have mean about 0 and standard deviation about 1', () => {
    const rng = createRng(11);
    const xs = Array.from({ length: 20_000 }, () => normal(rng));
    expect(xs.every(Number.isFinite)).toBe(true);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length);
    expect(Math.abs(mean)).toBeLessThan(0.03);
    expect(Math.abs(sd - 1)).toBeLessThan(0.03);
  });
});

describe('sampleQuantiles', () => {
  it.each([
    { p5: 3000, p95: 8000, seed: 1 },
    { p5: 50, p95: 600, seed: 2 },
    { p5: 2000, p95: 25_000, seed: 3 },
  ])('over 20,000 draws puts the empirical 5th/95th percentiles within 5% of $p5/$p95', ({ p5, p95, seed }) => {
    const rng = createRng(seed);
    const xs = Array.from({ length: 20_000 }, () => sampleQuantiles(rng, { p5, p95 })).sort((a, b) => a - b);
    expect(xs[0]!).toBeGreaterThan(0);
    expect(Math.abs(quantile(xs, 0.05) / p5 - 1)).toBeLessThan(0.05);
    expect(Math.abs(quantile(xs, 0.95) / p95 - 1)).toBeLessThan(0.05);
    // The log-normal's median is the geometric mean of the two quantiles.
    expect(Math.abs(quantile(xs, 0.5) / Math.sqrt(p5 * p95) - 1)).toBeLessThan(0.05);
  });

  it('is deterministic for a seed', () => {
    const a = createRng(5);
    const b = createRng(5);
    for (let i = 0; i < 100; i++)
      expect(sampleQuantiles(a, { p5: 10, p95: 20 })).toBe(sampleQuantiles(b, { p5: 10, p95: 20 }));
  });

  it('handles degenerate quantiles: both equal, both zero, p5 zero', () => {
    const rng = createRng(9);
    expect(sampleQuantiles(rng, { p5: 500, p95: 500 })).toBe(500);
    expect(sampleQuantiles(rng, { p5: 0, p95: 0 })).toBe(0);
    for (let i = 0; i < 1000; i++) {
      const x = sampleQuantiles(rng, { p5: 0, p95: 100 });
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(100);
    }
  });
});

describe('pickWeighted', () => {
  it('picks items as often as their weights say', () => {
    const items = [
      { name: 'a', weight: 1 },
      { name: 'b', weight: 2 },
      { name: 'c', weight: 7 },
      { name: 'd', weight: 0.5 },
    ];
    const total = items.reduce((s, i) => s + i.weight, 0);
    const rng = createRng(123);
    const n = 40_000;
    const counts = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const pick = pickWeighted(rng, items);
      counts.set(pick.name, (counts.get(pick.name) ?? 0) + 1);
    }
    for (const item of items) {
      expect(Math.abs((counts.get(item.name) ?? 0) / n - item.weight / total)).toBeLessThan(0.01);
    }
  });

  it('returns the same item each time for a single item, and never picks a zero weight', () => {
    const rng = createRng(4);
    const only = { weight: 3 };
    for (let i = 0; i < 100; i++) expect(pickWeighted(rng, [only])).toBe(only);
    const items = [{ weight: 0 }, { weight: 1 }, { weight: 0 }];
    for (let i = 0; i < 1000; i++) expect(pickWeighted(rng, items)).toBe(items[1]);
  });
});

describe('mix32', () => {
  it('is a deterministic unsigned 32-bit word', () => {
    expect(mix32(1, 2, 3)).toBe(mix32(1, 2, 3));
    for (const parts of [[0], [1], [2 ** 32 - 1], [-1], [7, 8, 9], []]) {
      const h = mix32(...parts);
      expect(Number.isInteger(h)).toBe(true);
      expect(h).toBeGreaterThanOrEqual(0);
      expect(h).toBeLessThan(2 ** 32);
    }
  });

  it('differs for different inputs, including the order and number of parts', () => {
    expect(mix32(1)).not.toBe(mix32(2));
    expect(mix32(1, 2)).not.toBe(mix32(2, 1));
    expect(mix32(1, 2)).not.toBe(mix32(1, 3));
    expect(mix32(0)).not.toBe(mix32(0, 0));
    expect(mix32(5)).not.toBe(mix32());
    const seen = new Set<number>();
    for (let seed = 0; seed < 100; seed++) for (let n = 0; n < 100; n++) seen.add(mix32(seed, n));
    expect(seen.size).toBe(10_000);
  });

  it('seeds independent streams: neighbouring task numbers give unrelated first draws', () => {
    const firsts = Array.from({ length: 1000 }, (_, n) => createRng(mix32(1, n)).next());
    const mean = firsts.reduce((s, x) => s + x, 0) / firsts.length;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.05);
    expect(new Set(firsts).size).toBe(1000);
  });
});

describe('randomString', () => {
  it('draws lowercase letters and digits of the length asked, deterministically', () => {
    const s = randomString(createRng(1), 24);
    expect(s).toMatch(/^[a-z0-9]{24}$/);
    expect(randomString(createRng(1), 24)).toBe(s);
    expect(randomString(createRng(2), 24)).not.toBe(s);
    expect(randomString(createRng(1), 0)).toBe('');
  });
});
