import type { components } from '../generated/node.js';

type JobState = components['schemas']['JobState'];

/** A fault's span and value, as the book needs it: in force at t when `from <= t < until`. */
export interface Span {
  from: number;
  /** null: until removed. */
  until: number | null;
  value: number;
}

/**
 * A job as the book keeps it. Its whole timeline is fixed when the node accepts it, so its state
 * at any instant is a function of this record and the clock (see `jobPhase`).
 */
export interface BookedJob {
  id: string;
  model: string;
  modelId: string;
  submittedAt: number;
  /** Order of acceptance on the node (FIFO ties). */
  seq: number;
  /** null: waiting behind a capacity of 0 with no end known (a later fault removal plans it again). */
  startAt: number | null;
  finishAt: number | null;
  width: number;
  height: number;
  numImages: number;
  /** The outcome once finished: null succeeds. */
  error: { type: string; detail: string } | null;
  /** A fixture (`POST /_sim/jobs`): held in this state for good, outside the queue. */
  fixed?: JobState;
}

/** What the book needs to fix a job's timeline atomically with the node's other jobs. */
export interface Reservation {
  job: Omit<BookedJob, 'seq' | 'startAt' | 'finishAt' | 'error'>;
  now: number;
  capacity: number;
  /** Capacity faults on the node: jobs it may run at once while each is in force. */
  rooms: Span[];
  /** The run time before latency faults (the catalog draw × time scale). */
  baseRunMs: number;
  /** latency_multiplier faults on the node or model: factors. */
  latency: Span[];
  /** The catalog failure rate, model error_rate faults (probabilities), the job's draw and its error if it fails. */
  failure: { rate: number; faults: Span[]; draw: number; error: { type: string; detail: string } };
}

/**
 * A node's first job for a task, booked in the store's atomic create of the task (a store that
 * keeps the nodes' job books): the submit's node call then costs no store call of its own.
 */
export interface StoreBooking {
  node: string;
  reservation: Reservation;
}

/** A job read back with its place in the queue (1 = next to start; null unless queued). */
export interface BookRead {
  job: BookedJob;
  queuePosition: number | null;
}

/**
 * One node's jobs: the FIFO multi-server queue of `capacity` slots, kept where every instance
 * reads it (in memory for one process, in Redis for several). `now` is the simulator clock.
 */
export interface JobBook {
  /** Accepts a job, fixing its timeline; a job already known (same id) comes back unchanged. */
  reserve(r: Reservation): Promise<BookedJob>;
  /**
   * reserve, and the job's place in the queue at `r.now` (as `read` would say), in one atomic
   * step: a book in Redis saves the round trip of the read. Optional: else reserve, then read.
   */
  reserveRead?(r: Reservation): Promise<BookRead>;
  /** Plans a job waiting with no known start again (after a fault ended); false if it is no longer such a job or another is ahead. */
  replan(r: Reservation): Promise<BookedJob | undefined>;
  /** Jobs waiting with no known start, in FIFO order. */
  stalled(): Promise<BookedJob[]>;
  /** Stores a fixture (replacing a job of the same id). */
  putFixture(job: BookedJob): Promise<void>;
  read(id: string, now: number): Promise<BookRead | undefined>;
  counts(now: number): Promise<{ running: number; queued: number }>;
  reset(): Promise<void>;
}

/** A job's state at `now` (fixtures aside). */
export function jobPhase(job: BookedJob, now: number): JobState {
  if (job.fixed) return job.fixed;
  if (job.startAt === null || now < job.startAt) return 'queued';
  if (job.finishAt !== null && now < job.finishAt) return 'running';
  return job.error ? 'failed' : 'succeeded';
}

const inForce = (s: Span, t: number) => s.from <= t && (s.until === null || t < s.until);

/** The product (latency) or combined probability (failure) of the spans in force at t. */
export function factorAt(spans: readonly Span[], t: number): number {
  return spans.filter((s) => inForce(s, t)).reduce((m, s) => m * s.value, 1);
}
export function failureRateAt(base: number, spans: readonly Span[], t: number): number {
  return spans.filter((s) => inForce(s, t)).reduce((p, s) => 1 - (1 - p) * (1 - s.value), base);
}

/**
 * The earliest instant >= now at which a job may start: when fewer jobs run than the room then
 * (capacity lowered by capacity faults, piecewise constant between their starts and ends).
 * `nthLatestFinish(r)` is the r-th largest finish time among the node's planned jobs (or -Infinity
 * with fewer): FIFO on `capacity` slots, each slot is free at the finish of the last job put on it,
 * and those are the `capacity` latest finishes, so a room of r is free from the r-th latest on.
 * null: never, as far as the faults known now say. The Redis book's Lua script mirrors this.
 */
export function earliestStart(r: Reservation, nthLatestFinish: (n: number) => number): number | null {
  // No capacity fault (every submit but under chaos): one span from now, at the node's capacity.
  if (r.rooms.length === 0) return r.capacity > 0 ? Math.max(r.now, nthLatestFinish(r.capacity)) : null;
  const roomAt = (t: number) => r.rooms.filter((s) => inForce(s, t)).reduce((c, s) => Math.min(c, s.value), r.capacity);
  const bounds = [r.now, ...r.rooms.flatMap((s) => (s.until === null ? [s.from] : [s.from, s.until]))]
    .filter((t) => t >= r.now)
    .sort((a, b) => a - b);
  for (let i = 0; i < bounds.length; i++) {
    const from = bounds[i]!;
    const until = bounds[i + 1] ?? Infinity;
    const room = roomAt(from);
    if (room <= 0 || from >= until) continue;
    const t = Math.max(from, nthLatestFinish(room));
    if (t < until) return t;
  }
  return null;
}

/** The job's timeline from its start: run time scaled by the latency faults then, outcome by the failure rate then. */
export function timelineFrom(
  startAt: number | null,
  r: Reservation,
): Pick<BookedJob, 'startAt' | 'finishAt' | 'error'> {
  if (startAt === null) return { startAt: null, finishAt: null, error: null };
  const runMs = Math.round(r.baseRunMs * factorAt(r.latency, startAt));
  const fails = r.failure.draw < failureRateAt(r.failure.rate, r.failure.faults, startAt);
  return { startAt, finishAt: startAt + runMs, error: fails ? { ...r.failure.error } : null };
}
