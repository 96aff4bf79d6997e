import type { TaskRecord } from '../gateway/task.js';

export const BUCKET_MS = 1000;
/** Buckets kept behind the newest: the charts' two minutes. */
const KEEP = 120;
/** What a node's "recent" figures cover. */
export const RECENT_MS = 60_000;

/** One second of simulator time, as a chart point. */
export interface SeriesPoint {
  /** Bucket start, simulator epoch ms. */
  t: number;
  created: number;
  started: number;
  completed: number;
  failed: number;
  /** model → [p50, p95] of submit-to-end time (ms) of the tasks completed in this second. */
  latency: Record<string, [number, number]>;
  /** node → the most jobs seen waiting in this second. */
  queue: Record<string, number>;
}

export interface NodeRecent {
  completed: number;
  failed: number;
  /** Submits to the node that it refused, timed out or failed. */
  errors: number;
  p50_ms: number | null;
  p95_ms: number | null;
}

interface Bucket {
  created: number;
  started: number;
  completed: number;
  failed: number;
  latency: Map<string, number[]>;
  queue: Map<string, number>;
  /** node → run times (start to end, ms) of jobs it completed. */
  runs: Map<string, number[]>;
  nodeFailed: Map<string, number>;
  nodeErrors: Map<string, number>;
}

/** The value at quantile q of sorted values (nearest rank). */
const quantile = (sorted: number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
const add = (m: Map<string, number>, k: string, n = 1) => m.set(k, (m.get(k) ?? 0) + n);
const push = (m: Map<string, number[]>, k: string, v: number) => (m.get(k) ?? m.set(k, []).get(k)!).push(v);

/**
 * Task transitions counted into one-second buckets of simulator time, as they are seen. Only
 * tasks seen moving are counted: what happened before anyone watched is not known here.
 */
export class LiveSeries {
  private buckets = new Map<number, Bucket>();
  private dirty = new Set<number>();
  /** Unfinished tasks seen so far: their last status and attempt count, to tell what changed. */
  private seen = new Map<string, { status: TaskRecord['status']; attempts: number }>();
  private newest = 0;

  private bucket(at: number): Bucket {
    const i = Math.floor(at / BUCKET_MS);
    if (i > this.newest) this.newest = i;
    this.dirty.add(i);
    let b = this.buckets.get(i);
    if (!b) {
      b = {
        created: 0,
        started: 0,
        completed: 0,
        failed: 0,
        latency: new Map(),
        queue: new Map(),
        runs: new Map(),
        nodeFailed: new Map(),
        nodeErrors: new Map(),
      };
      this.buckets.set(i, b);
    }
    return b;
  }

  /** A task was written; `queued` is its node's queue depth now, if known. */
  task(t: TaskRecord, now: number, queued: number | undefined): void {
    const prev = this.seen.get(t.id);
    const fresh = !prev && t.attempts.length === 0;
    if (fresh) this.bucket(t.createdAt).created++;
    if (prev || fresh) {
      for (const a of t.attempts.slice(prev?.attempts ?? 0))
        if (a.outcome !== 'accepted') add(this.bucket(a.at).nodeErrors, a.node);
      const wasRunning = prev?.status === 'IN_PROGRESS';
      if (
        !wasRunning &&
        t.startedAt !== null &&
        (t.status === 'IN_PROGRESS' || t.status === 'COMPLETED' || t.status === 'FAILED')
      )
        this.bucket(t.startedAt).started++;
    }
    if (queued !== undefined) this.deepest(this.bucket(now), t.node, queued);
    if (t.status === 'COMPLETED' || t.status === 'FAILED') {
      this.seen.delete(t.id);
      const at = t.completedAt ?? now;
      const b = this.bucket(at);
      if (t.status === 'COMPLETED') {
        b.completed++;
        push(b.latency, t.model, at - t.createdAt);
        if (t.startedAt !== null) push(b.runs, t.node, at - t.startedAt);
      } else {
        b.failed++;
        add(b.nodeFailed, t.node);
      }
      return;
    }
    this.seen.set(t.id, { status: t.status, attempts: t.attempts.length });
  }

  /** Queue depths sampled outside any task change (the flush tick). */
  sampleQueue(now: number, depths: Record<string, number>): void {
    const i = Math.floor(now / BUCKET_MS);
    const known = this.buckets.get(i);
    if (known && Object.entries(depths).every(([node, n]) => n <= (known.queue.get(node) ?? -1))) return; // nothing new: not a change
    const b = this.bucket(now);
    for (const [node, n] of Object.entries(depths)) this.deepest(b, node, n);
  }

  private deepest(b: Bucket, node: string, n: number): void {
    if (n > (b.queue.get(node) ?? -1)) b.queue.set(node, n);
  }

  private point(i: number, b: Bucket): SeriesPoint {
    const latency: SeriesPoint['latency'] = {};
    for (const [model, values] of b.latency) {
      const sorted = [...values].sort((x, y) => x - y);
      latency[model] = [quantile(sorted, 0.5), quantile(sorted, 0.95)];
    }
    return {
      t: i * BUCKET_MS,
      created: b.created,
      started: b.started,
      completed: b.completed,
      failed: b.failed,
      latency,
      queue: Object.fromEntries(b.queue),
    };
  }

  private prune(): void {
    for (const i of this.buckets.keys()) if (i <= this.newest - KEEP) this.buckets.delete(i);
  }

  /** Buckets written since the last call (drops the ones out of the window). */
  changed(): SeriesPoint[] {
    this.prune();
    const out: SeriesPoint[] = [];
    for (const i of [...this.dirty].sort((a, b) => a - b)) {
      const b = this.buckets.get(i);
      if (b) out.push(this.point(i, b));
    }
    this.dirty.clear();
    return out;
  }

  all(): SeriesPoint[] {
    this.prune();
    return [...this.buckets].sort(([a], [b]) => a - b).map(([i, b]) => this.point(i, b));
  }

  /** A node's figures over the RECENT_MS before `now`. */
  recent(node: string, now: number): NodeRecent {
    const from = Math.floor((now - RECENT_MS) / BUCKET_MS);
    const runs: number[] = [];
    let completed = 0;
    let failed = 0;
    let errors = 0;
    for (const [i, b] of this.buckets) {
      if (i <= from) continue;
      const r = b.runs.get(node);
      if (r) {
        completed += r.length;
        runs.push(...r);
      }
      failed += b.nodeFailed.get(node) ?? 0;
      errors += b.nodeErrors.get(node) ?? 0;
    }
    runs.sort((x, y) => x - y);
    return {
      completed,
      failed,
      errors,
      p50_ms: runs.length ? quantile(runs, 0.5) : null,
      p95_ms: runs.length ? quantile(runs, 0.95) : null,
    };
  }

  clear(): void {
    this.buckets.clear();
    this.dirty.clear();
    this.seen.clear();
    this.newest = 0;
  }
}
