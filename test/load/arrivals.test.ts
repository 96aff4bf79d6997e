import { describe, expect, it } from 'vitest';
import { ArrivalSchedule, parseShard, stagesOf, type Arrival } from '../../src/load/arrivals.js';

const all = (s: ArrivalSchedule, shard?: { index: number; count: number }): Arrival[] => [...s.arrivals(shard)];

describe('arrival schedule', () => {
  it('sends rate × duration arrivals, evenly spaced, for a constant rate', () => {
    const s = new ArrivalSchedule(stagesOf({ rate: 50, durationMs: 1000 }));
    const arrivals = all(s);
    expect(arrivals).toHaveLength(50);
    expect(s.count()).toBe(50);
    expect(arrivals[0]).toEqual({ index: 0, atMs: 10 });
    expect(arrivals[49]!.atMs).toBeCloseTo(990, 9);
    for (let i = 1; i < arrivals.length; i++) expect(arrivals[i]!.atMs - arrivals[i - 1]!.atMs).toBeCloseTo(20, 9);
  });

  it('counts exactly for awkward rates and durations', () => {
    // Arrival k goes when the cumulative rate reaches k + ½: rate × duration, a half rounding down.
    for (const [rate, ms, n] of [
      [3, 1000, 3],
      [7.5, 2000, 15],
      [1000, 30_000, 30_000],
      [33, 333, 11],
      [0.5, 1000, 0],
      [0.5, 3000, 1],
      [0.4, 5000, 2],
    ] as const) {
      const s = new ArrivalSchedule(stagesOf({ rate, durationMs: ms }));
      expect(all(s)).toHaveLength(n);
      expect(s.count()).toBe(n);
    }
  });

  it('ramps linearly: cumulative arrivals follow the integral of the rate', () => {
    // 0 → 100/s over 10 s (mass 500), then hold 100/s for 2 s (mass 200).
    const s = new ArrivalSchedule(
      stagesOf({
        startRate: 0,
        stages: [
          { durationMs: 10_000, target: 100 },
          { durationMs: 2000, target: 100 },
        ],
      }),
    );
    const arrivals = all(s);
    expect(arrivals).toHaveLength(700);
    // In the ramp Λ(t) = 5 t², so arrival k is at √((k + ½) / 5) s.
    for (const k of [0, 10, 250, 499]) expect(arrivals[k]!.atMs).toBeCloseTo(Math.sqrt((k + 0.5) / 5) * 1000, 6);
    expect(arrivals[500]!.atMs).toBeCloseTo(10_005, 6);
    expect(arrivals.every((a, i) => i === 0 || a.atMs > arrivals[i - 1]!.atMs)).toBe(true);
    // A ramp down mirrors it.
    const down = all(new ArrivalSchedule(stagesOf({ startRate: 100, stages: [{ durationMs: 10_000, target: 0 }] })));
    expect(down).toHaveLength(500);
    expect(down[499]!.atMs).toBeLessThan(10_000);
  });

  it('draws Poisson arrivals deterministically under a seed, at the scheduled rate', () => {
    const make = (seed: number) => new ArrivalSchedule(stagesOf({ rate: 200, durationMs: 10_000 }), 'poisson', seed);
    const a = all(make(7));
    expect(all(make(7))).toEqual(a);
    expect(all(make(8))).not.toEqual(a);
    // 2000 expected; a Poisson count's σ is √2000 ≈ 45.
    expect(Math.abs(a.length - 2000)).toBeLessThan(5 * 45);
    expect(make(7).count()).toBe(a.length);
  });

  it('shards partition the arrivals exactly, keeping each arrival and its time', () => {
    for (const process of ['uniform', 'poisson'] as const) {
      const s = new ArrivalSchedule(stagesOf({ startRate: 5, stages: [{ durationMs: 3000, target: 80 }] }), process, 3);
      const whole = all(s);
      for (const n of [1, 2, 3, 7]) {
        const parts = Array.from({ length: n }, (_, i) => all(s, { index: i + 1, count: n }));
        parts.forEach((p, i) => expect(s.count({ index: i + 1, count: n })).toBe(p.length));
        const union = parts.flat().sort((x, y) => x.index - y.index);
        expect(union).toEqual(whole);
      }
    }
  });

  it('reads --shard i/n', () => {
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
    for (const bad of ['0/4', '5/4', '1/0', 'a/b', '1', '-1/2', '1/2/3']) expect(parseShard(bad)).toBeUndefined();
  });
});
