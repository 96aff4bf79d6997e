import type { Outcome, OutcomeKind } from './journey.js';
import type { JourneyKind } from './scenario.js';

export type RequestKind = 'submit' | 'poll' | 'download';
export type JourneyEnd = OutcomeKind | 'interrupted';
export const JOURNEY_ENDS: readonly JourneyEnd[] = [
  'completed',
  'accepted',
  'failed',
  'error',
  'timeout',
  'interrupted',
];

export interface ModelCounts {
  journeys: number;
  completed: number;
  failed: number;
  errors: number;
  credits_expected: number;
  credits_charged: number;
}

/** A timeline bucket starting at `t_ms` with nothing counted yet. */
export const emptyBucket = (t_ms: number): TimelineBucket => ({
  t_ms,
  started: 0,
  completed: 0,
  failed: 0,
  errors: 0,
  requests: 0,
  request_errors: 0,
});

export interface TimelineBucket {
  /** Start of the bucket, ms after the run's start. */
  t_ms: number;
  started: number;
  completed: number;
  failed: number;
  errors: number;
  requests: number;
  request_errors: number;
}

/** Everything a run counts, in the report's own shape (plain JSON, summable). */
export interface RunCounts {
  arrivals: { scheduled: number; started: number; dropped: number };
  journeys: Record<JourneyEnd, number>;
  journey_kinds: Record<JourneyKind, number>;
  tasks: { completed: number; failed: number };
  models: Record<string, ModelCounts>;
  /** Per request kind, answers by HTTP status (`network` = no answer). */
  requests: Record<RequestKind, Record<string, number>>;
  error_codes: Record<string, number>;
  webhooks: { received: number; invalid: number; duplicates: number; unmatched: number; late: number };
  credits: { expected: number; charged: number; balance_before: number | null; balance_after: number | null };
  download_bytes: number;
  timeline: { bucket_ms: number; buckets: TimelineBucket[] };
}

const NICE_BUCKETS_MS = [100, 250, 500, 1000, 2000, 5000, 10_000, 30_000, 60_000, 300_000, 600_000];

/** A bucket width giving about 60–150 points over the run. */
export function bucketWidth(durationMs: number): number {
  return NICE_BUCKETS_MS.find((w) => durationMs / w <= 150) ?? NICE_BUCKETS_MS[NICE_BUCKETS_MS.length - 1]!;
}

export const emptyCounts = (bucketMs: number): RunCounts => ({
  arrivals: { scheduled: 0, started: 0, dropped: 0 },
  journeys: { completed: 0, accepted: 0, failed: 0, error: 0, timeout: 0, interrupted: 0 },
  journey_kinds: { poll: 0, webhook: 0, submit: 0 },
  tasks: { completed: 0, failed: 0 },
  models: {},
  requests: { submit: {}, poll: {}, download: {} },
  error_codes: {},
  webhooks: { received: 0, invalid: 0, duplicates: 0, unmatched: 0, late: 0 },
  credits: { expected: 0, charged: 0, balance_before: null, balance_after: null },
  download_bytes: 0,
  timeline: { bucket_ms: bucketMs, buckets: [] },
});

const bump = (map: Record<string, number>, key: string, by = 1): void => {
  map[key] = (map[key] ?? 0) + by;
};

/** The counters a run updates as journeys go; `at` is ms since the run's start. */
export class RunStats {
  readonly counts: RunCounts;

  constructor(bucketMs: number) {
    this.counts = emptyCounts(bucketMs);
  }

  private bucket(at: number): TimelineBucket {
    const { bucket_ms, buckets } = this.counts.timeline;
    const i = Math.max(0, Math.floor(at / bucket_ms));
    // Fill gaps so the index is the position; a run's buckets are bounded by its duration + drain.
    while (buckets.length <= i) buckets.push(emptyBucket(buckets.length * bucket_ms));
    return buckets[i]!;
  }

  private model(name: string): ModelCounts {
    return (this.counts.models[name] ??= {
      journeys: 0,
      completed: 0,
      failed: 0,
      errors: 0,
      credits_expected: 0,
      credits_charged: 0,
    });
  }

  started(model: string, kind: JourneyKind, at: number): void {
    this.counts.arrivals.started++;
    this.counts.journey_kinds[kind]++;
    this.model(model).journeys++;
    this.bucket(at).started++;
  }

  request(kind: RequestKind, status: number, at: number): void {
    bump(this.counts.requests[kind], status === 0 ? 'network' : String(status));
    const b = this.bucket(at);
    b.requests++;
    if (status < 200 || status >= 300) b.request_errors++;
  }

  finished(model: string, outcome: Outcome | 'interrupted', at: number): void {
    const kind = outcome === 'interrupted' ? 'interrupted' : outcome.kind;
    this.counts.journeys[kind]++;
    const m = this.model(model);
    const b = this.bucket(at);
    if (kind === 'completed' || kind === 'accepted') {
      m.completed++;
      b.completed++;
    } else if (kind === 'failed') {
      m.failed++;
      b.failed++;
    } else {
      m.errors++;
      b.errors++;
    }
    if (outcome !== 'interrupted' && outcome.code !== undefined) bump(this.counts.error_codes, outcome.code);
    if (outcome === 'interrupted') bump(this.counts.error_codes, 'interrupted');
  }

  /** A task seen in a terminal state: count it and, if it completed, its credits. */
  terminal(model: string, status: string, charged: number, price: number): void {
    if (status === 'FAILED') {
      this.counts.tasks.failed++;
      return;
    }
    this.counts.tasks.completed++;
    this.counts.credits.expected += price;
    this.counts.credits.charged += charged;
    const m = this.model(model);
    m.credits_expected += price;
    m.credits_charged += charged;
  }
}
