import hdr from 'hdr-histogram-js';
import { describe, expect, it } from 'vitest';
import {
  decodeHistogram,
  encodeHistogram,
  LatencyRecorder,
  recordMs,
  statOf,
  statsOf,
} from '../../src/load/histograms.js';
import { evaluateThresholds, parseThreshold, type MetricSource, type Threshold } from '../../src/load/thresholds.js';

/** The exact q-th percentile of a sorted sample (nearest rank), for comparison. */
const exact = (sorted: number[], q: number): number => sorted[Math.max(0, Math.ceil((q / 100) * sorted.length) - 1)]!;

describe('latency histograms', () => {
  it('records in WebAssembly what the JS build records (the same encoding), and frees it once destroyed', () => {
    const rec = new LatencyRecorder();
    const js = hdr.build({ numberOfSignificantValueDigits: 3 });
    for (let i = 0; i < 5000; i++) {
      const ms = 0.05 + ((i * 7919) % 100_000) / 7;
      rec.record('submit', 'imagen4', ms);
      recordMs(js, ms);
    }
    expect(statsOf(rec.histogram('submit')!).hdr).toBe(encodeHistogram(js));
    expect(statsOf(rec.histogram('submit')!)).toEqual(statsOf(js));
    rec.destroy();
    expect(() => rec.histogram('submit')!.totalCount).toThrow(/destroyed/);
  });

  it('gives the percentiles of a known sample set within the histogram resolution (0.1%)', () => {
    // A skewed set: 1..1000 ms plus a tail of 20 slow ones.
    const samples = [
      ...Array.from({ length: 1000 }, (_, i) => i + 1),
      ...Array.from({ length: 20 }, (_, i) => 5000 + i * 250),
    ];
    const rec = new LatencyRecorder();
    for (const ms of samples) rec.record('submit', 'imagen4', ms);
    const sorted = [...samples].sort((a, b) => a - b);
    const s = statsOf(rec.histogram('submit')!);
    expect(s.count).toBe(samples.length);
    for (const [q, got] of [
      [50, s.p50_ms],
      [90, s.p90_ms],
      [95, s.p95_ms],
      [99, s.p99_ms],
      [99.9, s.p999_ms],
    ] as const) {
      expect(Math.abs(got - exact(sorted, q)) / exact(sorted, q)).toBeLessThanOrEqual(0.001);
    }
    expect(Math.abs(s.min_ms - 1)).toBeLessThanOrEqual(0.001);
    expect(Math.abs(s.max_ms - 9750) / 9750).toBeLessThanOrEqual(0.001);
    expect(s.mean_ms).toBeCloseTo(samples.reduce((a, b) => a + b, 0) / samples.length, -1);
  });

  it('reports a one-model run the same whether told its model or not, and leaves other models apart', () => {
    const told = new LatencyRecorder('imagen4');
    const plain = new LatencyRecorder();
    for (const rec of [told, plain]) for (const ms of [3, 7, 7, 40, 0.5]) rec.record('submit', 'imagen4', ms);
    expect(told.report()).toEqual(plain.report());
    expect(told.report().submit.models.imagen4?.count).toBe(5);
    // A phase nothing was recorded in names no model, as before.
    expect(told.report().download.models).toEqual({});
    // A model other than the one it was told of still gets histograms of its own.
    told.record('submit', 'seedream', 9);
    expect(told.report().submit.all.count).toBe(6);
    expect(told.report().submit.models.imagen4?.count).toBe(5);
    expect(told.report().submit.models.seedream?.count).toBe(1);
  });

  it('keeps sub-millisecond values and round-trips through its encoding', () => {
    const rec = new LatencyRecorder();
    for (const ms of [0.05, 0.25, 0.8, 1.5]) rec.record('download', 'seedream', ms);
    const s = statsOf(rec.histogram('download', 'seedream')!);
    expect(s.min_ms).toBeCloseTo(0.05, 3);
    const back = decodeHistogram(s.hdr);
    expect(back.totalCount).toBe(4);
    expect(back.getValueAtPercentile(50)).toBe(rec.histogram('download')!.getValueAtPercentile(50));
    expect(statsOf(rec.histogram('submit')!)).toMatchObject({ count: 0, p99_ms: 0 });
  });
});

describe('thresholds', () => {
  const models = ['imagen4', 'cogview-4'];
  const parse = (text: string): Threshold => {
    const t = parseThreshold(text, models);
    if (typeof t === 'string') throw new Error(t);
    return t;
  };

  it('reads latency, rate and count thresholds with their units', () => {
    expect(parse('p99(submit) < 300ms')).toMatchObject({
      metric: 'latency',
      stat: { kind: 'percentile', p: 99 },
      phase: 'submit',
      op: '<',
      limit: 300,
    });
    expect(parse('p99.9(completion:imagen4) <= 8s')).toMatchObject({
      stat: { kind: 'percentile', p: 99.9 },
      model: 'imagen4',
      limit: 8000,
    });
    expect(parse('avg(download)<50')).toMatchObject({ stat: { kind: 'avg' }, limit: 50 });
    expect(parse('error_rate < 1%')).toMatchObject({ metric: 'error_rate', limit: 0.01 });
    expect(parse('http_error_rate < 0.05')).toMatchObject({ limit: 0.05 });
    expect(parse('dropped == 0')).toMatchObject({ metric: 'dropped', op: '==', limit: 0 });
  });

  it('names what is wrong with a bad one', () => {
    expect(parseThreshold('p99(upload) < 3ms', models)).toMatch(/unknown phase 'upload'/);
    expect(parseThreshold('p99(submit:flux-2) < 3ms', models)).toMatch(/'flux-2' is not in the mix/);
    expect(parseThreshold('error_rate < 3ms', models)).toMatch(/fraction/);
    expect(parseThreshold('p99(submit) < 3%', models)).toMatch(/latency/);
    expect(parseThreshold('latency is fine', models)).toMatch(/not a threshold/);
    expect(parseThreshold('bogus < 1', models)).toMatch(/unknown metric 'bogus'/);
  });

  it('judges from the histogram; a metric without samples fails', () => {
    const rec = new LatencyRecorder();
    for (let ms = 1; ms <= 100; ms++) rec.record('submit', 'imagen4', ms);
    const source: MetricSource = {
      latency: (phase, model, stat) => {
        const h = rec.histogram(phase, model);
        return h ? statOf(h, stat) : null;
      },
      rate: () => 0.02,
      count: () => 0,
    };
    const results = evaluateThresholds(
      [
        'p99(submit) < 98ms',
        'p99(submit) <= 100ms',
        'p50(submit:imagen4) < 51ms',
        'error_rate < 1%',
        'p99(download) < 1s',
        'dropped == 0',
      ].map(parse),
      source,
    );
    expect(results.map((r) => r.ok)).toEqual([false, true, true, false, false, true]);
    expect(results[4]!.value).toBeNull();
  });
});
