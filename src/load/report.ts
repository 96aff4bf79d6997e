import type { Histogram } from 'hdr-histogram-js';
import { StartupError } from '../startup-error.js';
import { decodeHistogram, mergeEncoded, statOf, statsOf, type LatencyReport, type PhaseLatency } from './histograms.js';
import {
  emptyCounts,
  JOURNEY_ENDS,
  type ModelCounts,
  type RequestKind,
  type RunCounts,
  emptyBucket,
  type TimelineBucket,
} from './run-stats.js';
import type { JourneyKind } from './scenario.js';
import {
  evaluateThresholds,
  parseThreshold,
  PHASES,
  type MetricSource,
  type Threshold,
  type ThresholdResult,
} from './thresholds.js';

export const REPORT_FORMAT = 'gwsim-load-report';
export const REPORT_VERSION = 1;

/** The scenario as a report carries it: enough to read the report and to judge merged thresholds. */
export interface ScenarioSummary {
  name: string;
  seed: number;
  arrival: 'uniform' | 'poisson';
  max_in_flight: number;
  duration_ms: number;
  stages: Array<{ duration_ms: number; from: number; to: number }>;
  journeys: Partial<Record<JourneyKind, number>>;
  mix: Array<{ model: string; weight: number }>;
  thresholds: string[];
}

export interface Rates {
  /** Journeys that did not end well (task FAILED, HTTP or network error, timeout) / journeys ended. */
  error_rate: number | null;
  /** Requests answered outside 2xx, or not at all / requests. */
  http_error_rate: number | null;
  /** Tasks FAILED / tasks seen finished. */
  task_failure_rate: number | null;
  /** Arrivals never started (max in flight reached until the schedule ended) / arrivals scheduled. */
  dropped_rate: number | null;
  journeys_per_s: number;
  requests_per_s: number;
}

export interface LoadReport extends RunCounts {
  format: typeof REPORT_FORMAT;
  version: typeof REPORT_VERSION;
  target: string;
  scenario: ScenarioSummary;
  /** The shards this report covers (`1/2`); empty for an unsharded run. */
  shards: string[];
  /** How many runs' reports are in this one (1 unless merged). */
  runs: number;
  started_at: string;
  elapsed_ms: number;
  latency: LatencyReport;
  rates: Rates;
  thresholds: ThresholdResult[];
  passed: boolean;
}

const sum = (xs: Record<string, number>): number => Object.values(xs).reduce((s, n) => s + n, 0);
const ratio = (a: number, b: number): number | null => (b > 0 ? a / b : null);

export function totalRequests(r: RunCounts): { total: number; errors: number } {
  let total = 0;
  let errors = 0;
  for (const byStatus of Object.values(r.requests)) {
    for (const [status, n] of Object.entries(byStatus)) {
      total += n;
      if (!/^2\d\d$/.test(status)) errors += n;
    }
  }
  return { total, errors };
}

export function rates(r: RunCounts, elapsedMs: number): Rates {
  const ended = sum(r.journeys);
  const good = r.journeys.completed + r.journeys.accepted;
  const requests = totalRequests(r);
  const seconds = elapsedMs / 1000;
  return {
    error_rate: ratio(ended - good, ended),
    http_error_rate: ratio(requests.errors, requests.total),
    task_failure_rate: ratio(r.tasks.failed, r.tasks.completed + r.tasks.failed),
    dropped_rate: ratio(r.arrivals.dropped, r.arrivals.scheduled),
    journeys_per_s: seconds > 0 ? ended / seconds : 0,
    requests_per_s: seconds > 0 ? requests.total / seconds : 0,
  };
}

/** Threshold inputs read from a report: latencies from its histograms (decoded once each). */
export function metricSource(
  report: Pick<LoadReport, 'latency' | 'journeys' | 'credits' | 'arrivals' | 'tasks'> & { rates: Rates },
): MetricSource {
  const cache = new Map<string, Histogram>();
  const lookup = (phase: (typeof PHASES)[number], model: string | undefined): Histogram | undefined => {
    const key = `${phase}\u0000${model ?? ''}`;
    let h = cache.get(key);
    const entry: PhaseLatency = report.latency[phase];
    const encoded = model === undefined ? entry.all.hdr : entry.models[model]?.hdr;
    if (!h && encoded !== undefined) cache.set(key, (h = decodeHistogram(encoded)));
    return h;
  };
  return {
    latency: (phase, model, stat) => {
      const h = lookup(phase, model);
      return h ? statOf(h, stat) : null;
    },
    rate: (metric) => report.rates[metric],
    count: (metric) =>
      metric === 'dropped'
        ? report.arrivals.dropped
        : metric === 'errors'
          ? report.journeys.error + report.journeys.timeout + report.journeys.interrupted
          : // Credits are counted over the tasks the run saw end; submit journeys follow none.
            report.tasks.completed + report.tasks.failed === 0
            ? null
            : Math.abs(report.credits.charged - report.credits.expected),
  };
}

/** The scenario's thresholds, re-read from their text (as merged reports must). */
export function thresholdsOf(scenario: ScenarioSummary): Threshold[] {
  return scenario.thresholds.flatMap((text) => {
    const t = parseThreshold(
      text,
      scenario.mix.map((m) => m.model),
    );
    return typeof t === 'string' ? [] : [t];
  });
}

export interface ReportParts {
  target: string;
  scenario: ScenarioSummary;
  shards: string[];
  runs: number;
  startedAt: Date;
  elapsedMs: number;
  counts: RunCounts;
  latency: LatencyReport;
  thresholds: readonly Threshold[];
}

export function buildReport(p: ReportParts): LoadReport {
  const r = rates(p.counts, p.elapsedMs);
  const base = { ...p.counts, latency: p.latency, rates: r };
  const thresholds = evaluateThresholds(p.thresholds, metricSource(base));
  return {
    format: REPORT_FORMAT,
    version: REPORT_VERSION,
    target: p.target,
    scenario: p.scenario,
    shards: p.shards,
    runs: p.runs,
    started_at: p.startedAt.toISOString(),
    elapsed_ms: Math.round(p.elapsedMs),
    ...base,
    thresholds,
    passed: thresholds.every((t) => t.ok),
  };
}

/** Reports that cannot be merged (different scenarios, a shard twice): the user's to fix. */
export class MergeError extends StartupError {}

const addMap = (into: Record<string, number>, from: Record<string, number>): void => {
  for (const [k, n] of Object.entries(from)) into[k] = (into[k] ?? 0) + n;
};

function addCounts(into: RunCounts, from: RunCounts): void {
  for (const k of ['scheduled', 'started', 'dropped'] as const) into.arrivals[k] += from.arrivals[k];
  for (const k of JOURNEY_ENDS) into.journeys[k] += from.journeys[k];
  addMap(into.journey_kinds, from.journey_kinds);
  into.tasks.completed += from.tasks.completed;
  into.tasks.failed += from.tasks.failed;
  for (const [name, m] of Object.entries(from.models)) {
    const t: ModelCounts = (into.models[name] ??= {
      journeys: 0,
      completed: 0,
      failed: 0,
      errors: 0,
      credits_expected: 0,
      credits_charged: 0,
    });
    for (const k of Object.keys(t) as Array<keyof ModelCounts>) t[k] += m[k];
  }
  for (const k of Object.keys(from.requests) as RequestKind[]) addMap(into.requests[k], from.requests[k]);
  addMap(into.error_codes, from.error_codes);
  addMap(into.webhooks, from.webhooks);
  into.credits.expected += from.credits.expected;
  into.credits.charged += from.credits.charged;
  into.download_bytes += from.download_bytes;
}

/** Re-bucket timelines into the widest bucket, aligned on each run's start. */
function mergeTimelines(reports: readonly LoadReport[]): RunCounts['timeline'] {
  const width = Math.max(...reports.map((r) => r.timeline.bucket_ms));
  const buckets: TimelineBucket[] = [];
  for (const r of reports) {
    for (const b of r.timeline.buckets) {
      const i = Math.floor(b.t_ms / width);
      while (buckets.length <= i) buckets.push(emptyBucket(buckets.length * width));
      const t = buckets[i]!;
      for (const k of ['started', 'completed', 'failed', 'errors', 'requests', 'request_errors'] as const) t[k] += b[k];
    }
  }
  return { bucket_ms: width, buckets };
}

function mergeLatency(reports: readonly LoadReport[]): LatencyReport {
  const entry = (phase: (typeof PHASES)[number]): PhaseLatency => {
    const models = [...new Set(reports.flatMap((r) => Object.keys(r.latency[phase].models)))].sort();
    return {
      all: statsOf(mergeEncoded(reports.map((r) => r.latency[phase].all.hdr))),
      models: Object.fromEntries(
        models.map((m) => [m, statsOf(mergeEncoded(reports.flatMap((r) => r.latency[phase].models[m]?.hdr ?? [])))]),
      ),
    };
  };
  return Object.fromEntries(PHASES.map((p) => [p, entry(p)])) as LatencyReport;
}

/**
 * Combine reports of shards (or of independent runs of one scenario) into one: counts summed,
 * histograms added, so percentiles are those of all samples together; thresholds judged again.
 */
export function mergeReports(reports: readonly LoadReport[]): LoadReport {
  if (reports.length === 0) throw new MergeError('nothing to merge');
  const first = reports[0]!;
  for (const r of reports) {
    if (r.scenario.name !== first.scenario.name || r.scenario.seed !== first.scenario.seed) {
      throw new MergeError(
        `reports come from different scenarios: '${first.scenario.name}' (seed ${first.scenario.seed}) and '${r.scenario.name}' (seed ${r.scenario.seed})`,
      );
    }
  }
  const shards = reports.flatMap((r) => r.shards);
  const seen = new Set<string>();
  for (const s of shards) {
    if (seen.has(s)) throw new MergeError(`shard ${s} appears in more than one report`);
    seen.add(s);
  }
  const counts = new Set(shards.map((s) => s.split('/')[1]));
  if (counts.size > 1) throw new MergeError(`shards of different splits cannot be merged: ${shards.join(', ')}`);
  const merged = emptyCounts(first.timeline.bucket_ms);
  for (const r of reports) addCounts(merged, r);
  merged.timeline = mergeTimelines(reports);
  const starts = reports.map((r) => Date.parse(r.started_at));
  const start = Math.min(...starts);
  const end = Math.max(...reports.map((r, i) => starts[i]! + r.elapsed_ms));
  // Each run's balance also moved with the others' spending: only a single run's is meaningful.
  if (reports.length === 1) merged.credits = { ...first.credits };
  return buildReport({
    target: [...new Set(reports.map((r) => r.target))].join(', '),
    scenario: first.scenario,
    shards: [...shards].sort((a, b) => Number(a.split('/')[0]) - Number(b.split('/')[0])),
    runs: reports.reduce((s, r) => s + r.runs, 0),
    startedAt: new Date(start),
    elapsedMs: end - start,
    counts: merged,
    latency: mergeLatency(reports),
    thresholds: thresholdsOf(first.scenario),
  });
}
