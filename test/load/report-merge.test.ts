import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LatencyRecorder } from '../../src/load/histograms.js';
import { readReport, writeReport } from '../../src/load/report-file.js';
import {
  buildReport,
  mergeReports,
  thresholdsOf,
  type LoadReport,
  type ScenarioSummary,
} from '../../src/load/report.js';
import { RunStats } from '../../src/load/run-stats.js';
import { createRng } from '../../src/rng/rng.js';
import { PHASES } from '../../src/load/thresholds.js';

const SCENARIO: ScenarioSummary = {
  name: 'merge-test',
  seed: 5,
  arrival: 'uniform',
  max_in_flight: 100,
  duration_ms: 2000,
  stages: [{ duration_ms: 2000, from: 50, to: 50 }],
  journeys: { poll: 1 },
  mix: [
    { model: 'imagen4', weight: 1 },
    { model: 'cogview-4', weight: 1 },
  ],
  thresholds: ['p99(submit) < 250ms', 'p50(completion:imagen4) < 1s', 'error_rate < 5%'],
};

interface Sample {
  model: string;
  submit: number;
  completion: number;
  ok: boolean;
  at: number;
}

const rng = createRng(99);
const SAMPLES: Sample[] = Array.from({ length: 400 }, (_, i) => ({
  model: i % 3 === 0 ? 'cogview-4' : 'imagen4',
  submit: 1 + rng.next() * 300,
  completion: 200 + rng.next() * 2000,
  ok: rng.next() > 0.04,
  at: (i / 400) * 2000,
}));

/** A report as a run over `samples` would write it. */
function reportOf(samples: Sample[], shards: string[]): LoadReport {
  const stats = new RunStats(250);
  const latency = new LatencyRecorder();
  for (const s of samples) {
    stats.started(s.model, 'poll', s.at);
    stats.request('submit', 200, s.at + s.submit);
    latency.record('submit', s.model, s.submit);
    latency.record('completion', s.model, s.completion);
    stats.terminal(s.model, s.ok ? 'COMPLETED' : 'FAILED', s.ok ? 8 : 0, 8);
    stats.finished(
      s.model,
      s.ok ? { kind: 'completed' } : { kind: 'failed', code: 'provider_error' },
      s.at + s.completion,
    );
  }
  stats.counts.arrivals.scheduled = samples.length;
  return buildReport({
    target: 'http://127.0.0.1:1',
    scenario: SCENARIO,
    shards,
    runs: 1,
    startedAt: new Date('2026-01-01T00:00:00Z'),
    elapsedMs: 2500,
    counts: stats.counts,
    latency: latency.report(),
    thresholds: thresholdsOf(SCENARIO),
  });
}

const withoutHdr = (r: LoadReport) =>
  Object.fromEntries(
    PHASES.map((p) => [
      p,
      {
        all: { ...r.latency[p].all, hdr: '' },
        models: Object.fromEntries(Object.entries(r.latency[p].models).map(([m, s]) => [m, { ...s, hdr: '' }])),
      },
    ]),
  );

describe('merging reports', () => {
  it('gives the same percentiles, counts and verdicts as one report over the same samples', () => {
    const whole = reportOf(SAMPLES, []);
    const parts = [0, 1, 2].map((i) =>
      reportOf(
        SAMPLES.filter((_, k) => k % 3 === i),
        [`${i + 1}/3`],
      ),
    );
    const merged = mergeReports(parts);
    expect(withoutHdr(merged)).toEqual(withoutHdr(whole));
    expect(merged.latency.submit.all.p99_ms).toBeGreaterThan(0);
    for (const key of ['arrivals', 'journeys', 'tasks', 'models', 'requests', 'error_codes', 'rates'] as const)
      expect(merged[key]).toEqual(whole[key]);
    expect(merged.credits).toMatchObject({
      expected: whole.credits.expected,
      charged: whole.credits.charged,
      balance_before: null,
    });
    expect(merged.thresholds).toEqual(whole.thresholds);
    expect(merged.timeline).toEqual(whole.timeline);
    expect(merged.shards).toEqual(['1/3', '2/3', '3/3']);
    expect(merged.runs).toBe(3);
    // Merging is associative: merged halves merge to the same.
    expect(withoutHdr(mergeReports([mergeReports(parts.slice(0, 2)), parts[2]!]))).toEqual(withoutHdr(whole));
  });

  it('refuses a shard twice, shards of different splits and different scenarios', () => {
    const a = reportOf(SAMPLES.slice(0, 10), ['1/2']);
    expect(() => mergeReports([a, a])).toThrow(/shard 1\/2 appears in more than one/);
    expect(() => mergeReports([a, reportOf(SAMPLES.slice(10, 20), ['2/3'])])).toThrow(/different splits/);
    const other = { ...reportOf(SAMPLES.slice(10, 20), ['2/2']), scenario: { ...SCENARIO, seed: 6 } };
    expect(() => mergeReports([a, other])).toThrow(/different scenarios/);
  });

  it('writes and reads report files, refusing one that is not a report by the field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gwsim-merge-'));
    const file = join(dir, 'a.json');
    const r = reportOf(SAMPLES.slice(0, 50), ['1/2']);
    writeReport(file, r);
    expect(readReport(file)).toEqual(r);
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ ...r, latency: { ...r.latency, submit: { all: { count: 'x' } } } }));
    expect(() => readReport(bad)).toThrow(/latency\.submit\.all\.count/);
    writeFileSync(bad, '{"format":"k6"}');
    expect(() => readReport(bad)).toThrow(/not a gwsim load report/);
  });
});
