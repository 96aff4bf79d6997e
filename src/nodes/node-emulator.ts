import type { Catalog } from '../catalog/load-catalog.js';
import type { NodeEntry } from '../catalog/catalog-schema.js';
import type { Clock } from '../clock/clock.js';
import type { components } from '../generated/node.js';
import { createRng, hashString, mix32, sampleQuantiles, pickWeighted, type Rng } from '../rng/rng.js';
import type { Fault, FaultSet } from './faults.js';
import { jobPhase, type BookedJob, type BookRead, type JobBook, type Reservation, type Span } from './job-book.js';
import { MemoryJobBook } from '../store/memory-job-book.js';

export type Job = components['schemas']['Job'];
export type JobRequest = components['schemas']['JobRequest'];
export type Health = components['schemas']['Health'];
export type JobState = components['schemas']['JobState'];

/** What faults do to one call: nothing, refuse the connection, never answer, or a 503. */
export type FaultEffect = 'none' | 'refuse' | 'hang' | 'error';

/** Jobs kept for the `nextChangeAt` after their submit; more only when nobody asks (HTTP nodes). */
const JUST_BOOKED_MAX = 1024;

export interface NodeEmulatorDeps {
  node: NodeEntry;
  catalog: Catalog;
  clock: Clock;
  faults: FaultSet;
  seed: number;
  timeScale: number;
  /** Overrides the catalog's capacity. */
  capacity?: number | undefined;
  /** Where its jobs live: a book of its own in memory unless given (the Redis one, shared by instances). */
  book?: JobBook | undefined;
  /** Finished jobs its own book keeps (the newest that many; `retention.finished_tasks`). */
  keepFinished?: number | undefined;
}

/**
 * One provider backend node: at most `capacity` jobs run at once, the rest wait in FIFO order.
 * A job's duration and outcome come from its model's catalog entry and an RNG seeded by
 * (seed, node, job id), so they do not depend on what else the node is doing.
 *
 * A job's whole timeline (start, finish, outcome) is fixed when the node accepts it, in its job
 * book; its state at any instant is a function of that record and the clock. So no timer runs
 * per job, and any instance reading the same book (Redis) answers for any job. Faults count as
 * they are known at acceptance (a fault posted later does not move an accepted job), except that
 * jobs waiting behind a capacity of 0 with no end are planned again when a fault ends.
 */
export class NodeEmulator {
  readonly id: string;
  readonly capacity: number;
  /** Its jobs live in the gateway's store (`deps.book`), which can book one with a task's create. */
  readonly booksInStore: boolean;
  private readonly book: JobBook;
  private faultRng: Rng;
  /** The replanning after a fault ended, while it runs (a read waits for it, so it sees its outcome). */
  private replanning: Promise<void> | undefined;
  /** Jobs booked here whose next change nobody has asked yet (`remember`). */
  private justBooked = new Map<string, BookedJob>();

  constructor(private readonly deps: NodeEmulatorDeps) {
    this.id = deps.node.id;
    this.capacity = deps.capacity ?? deps.node.capacity;
    this.faultRng = createRng(mix32(deps.seed, hashString(this.id), 0xfa17));
    this.booksInStore = deps.book !== undefined;
    this.book = deps.book ?? new MemoryJobBook(deps.keepFinished);
    deps.faults.onRemoved(() => void this.replanStalled());
  }

  /** Models this node serves: those with a route through it. */
  serves(modelId: string): boolean {
    return this.deps.catalog.model(modelId)?.routes.some((r) => r.node === this.id) ?? false;
  }

  /**
   * The fault effect on one call, for this node and (when known) the job's model. A node's
   * error_rate fails its API calls (503); a model's error_rate fails that model's jobs instead
   * (see start), as a provider failing while the node is fine.
   */
  effect(modelId?: string): FaultEffect {
    if (this.deps.faults.none) return 'none';
    const faults = [
      ...this.deps.faults.active(this.id),
      ...(modelId ? this.deps.faults.active(`model:${modelId}`) : []),
    ];
    let effect: FaultEffect = 'none';
    for (const f of faults) {
      if (f.kind === 'outage') return 'refuse';
      if (f.kind === 'timeout') effect = 'hang';
      else if (
        f.kind === 'error_rate' &&
        f.target === this.id &&
        effect === 'none' &&
        this.faultRng.next() < (f.value ?? 1)
      )
        effect = 'error';
    }
    return effect;
  }

  /** The faults known now (in force or to come) of `kind` on these targets, as spans. */
  private spans(kind: Fault['kind'], targets: string[]): Span[] {
    if (this.deps.faults.none) return [];
    const all = this.deps.faults.list();
    return targets.flatMap((target) =>
      all
        .filter((f) => f.target === target && f.kind === kind)
        .map((f) => ({ from: f.starts_at, until: f.ends_at, value: f.value ?? 1 })),
    );
  }

  /** What the book needs to fix the job's timeline: the job's own draws (as `start` drew them before) and the faults known now. */
  private reservation(of: Reservation['job']): Reservation {
    const { catalog, seed, timeScale, clock } = this.deps;
    // Only the fields the book stores as given (a replanned job comes with its timeline).
    const { id, model: name, modelId, submittedAt, width, height, numImages } = of;
    const job = { id, model: name, modelId, submittedAt, width, height, numImages };
    const model = catalog.model(job.modelId)!;
    const rng = createRng(mix32(seed, hashString(this.id), hashString(job.id)));
    const baseRunMs = sampleQuantiles(rng, model.latency_ms) * timeScale;
    const draw = rng.next();
    const error = pickWeighted(rng, catalog.file.errors);
    const modelTarget = `model:${job.modelId}`;
    return {
      job,
      now: clock.now(),
      capacity: this.capacity,
      rooms: this.spans('capacity', [this.id]),
      baseRunMs,
      latency: this.spans('latency_multiplier', [this.id, modelTarget]),
      failure: {
        rate: model.failure.rate,
        faults: this.spans('error_rate', [modelTarget]),
        draw,
        error: { type: error.code, detail: error.message },
      },
    };
  }

  /** No fault at all is known (in force or to come): a call meets none, and draws nothing to find out. */
  get faultless(): boolean {
    return this.deps.faults.none;
  }

  /** What booking `req` now takes (a submit's, or one its task's create makes in the store); the caller has validated it. */
  reservationFor(req: JobRequest, modelId: string): Reservation {
    return this.reservation({
      id: req.job_id,
      model: req.model,
      modelId,
      submittedAt: this.deps.clock.now(),
      width: req.width,
      height: req.height,
      numImages: req.num_images,
    });
  }

  /** The answer to a submit whose booking was made elsewhere (with its task's create): as `submit` gives it. */
  booked({ job, queuePosition }: BookRead): Job {
    this.remember(job);
    return this.view(job, queuePosition);
  }

  /** Accept a job (idempotent on its id); the caller has validated the request. */
  async submit(req: JobRequest, modelId: string): Promise<Job> {
    const reservation = this.reservationFor(req, modelId);
    if (this.book.reserveRead) return this.booked(await this.book.reserveRead(reservation));
    const booked = await this.book.reserve(reservation);
    this.remember(booked);
    // A job that starts at once has no queue position to read back.
    if (booked.startAt !== null && booked.startAt <= this.deps.clock.now()) return this.view(booked, null);
    return (await this.get(booked.id)) ?? this.view(booked, null);
  }

  /**
   * Keep a job just booked for the `nextChangeAt` that follows its submit (the dispatcher asks at
   * once), so that asking reads nothing: a timeline once known is fixed (only a job with no known
   * start is planned again), so the record is what a read would give. Bounded: the oldest go.
   */
  private remember(job: BookedJob): void {
    if (job.fixed || job.startAt === null) return;
    if (this.justBooked.size >= JUST_BOOKED_MAX) {
      const oldest = this.justBooked.keys().next();
      if (!oldest.done) this.justBooked.delete(oldest.value);
    }
    this.justBooked.set(job.id, job);
  }

  /**
   * A job made to order (`POST /_sim/jobs`, for provider states): stored in `state` outside the
   * queue, so it stays there on any clock. Replaces a job of the same id.
   */
  async fixture(req: JobRequest, modelId: string, state: JobState, error: BookedJob['error']): Promise<Job> {
    const now = this.deps.clock.now();
    const done = state === 'succeeded' || state === 'failed';
    const job: BookedJob = {
      id: req.job_id,
      model: req.model,
      modelId,
      submittedAt: now,
      seq: 0,
      startAt: state === 'queued' ? null : now,
      finishAt: done ? now : null,
      width: req.width,
      height: req.height,
      numImages: req.num_images,
      error:
        state === 'failed' ? (error ?? { type: 'provider_error', detail: 'the provider reported a failure' }) : null,
      fixed: state,
    };
    this.justBooked.delete(job.id);
    await this.book.putFixture(job);
    return this.view(job, state === 'queued' ? 1 : null);
  }

  async get(id: string): Promise<Job | undefined> {
    if (this.replanning) await this.replanning; // an await of nothing would still cost a turn
    const read = await this.book.read(id, this.deps.clock.now());
    return read && this.view(read.job, read.queuePosition);
  }

  /**
   * The simulator-clock instant of the job's next state change: its start while queued, its
   * finish while running; undefined when finished, unknown, a fixture, or waiting with no known start.
   */
  async nextChangeAt(jobId: string): Promise<number | undefined> {
    let job = this.justBooked.get(jobId);
    if (job) this.justBooked.delete(jobId);
    else job = (await this.book.read(jobId, this.deps.clock.now()))?.job;
    if (!job || job.fixed) return undefined;
    const phase = jobPhase(job, this.deps.clock.now());
    if (phase === 'queued') return job.startAt ?? undefined;
    if (phase === 'running') return job.finishAt ?? undefined;
    return undefined;
  }

  async health(): Promise<Health> {
    const degraded = this.deps.faults.active(this.id).some((f) => f.kind !== 'outage');
    const { running, queued } = await this.book.counts(this.deps.clock.now());
    return { status: degraded ? 'degraded' : 'ok', node: this.id, capacity: this.capacity, running, queued };
  }

  async reset(): Promise<void> {
    this.faultRng = createRng(mix32(this.deps.seed, hashString(this.id), 0xfa17));
    this.justBooked.clear();
    await this.book.reset();
  }

  /** After a fault ends: plan again, in FIFO order, the jobs that were waiting with no known start. */
  private replanStalled(): Promise<void> {
    const run = (async () => {
      await this.replanning;
      for (const job of await this.book.stalled()) if (!(await this.book.replan(this.reservation(job)))) break;
    })().catch(() => undefined); // a store that is away: the next fault change or read tries again
    this.replanning = run;
    return run;
  }

  private view(job: BookedJob, queuePosition: number | null): Job {
    const state = jobPhase(job, this.deps.clock.now());
    return {
      id: job.id,
      model: job.model,
      state,
      queue_position: state === 'queued' ? queuePosition : null,
      submitted_at: job.submittedAt,
      started_at: job.fixed ? job.startAt : state === 'queued' ? null : job.startAt,
      finished_at: job.fixed ? job.finishAt : state === 'running' || state === 'queued' ? null : job.finishAt,
      result:
        state === 'succeeded'
          ? {
              images: Array.from({ length: job.numImages }, (_, index) => ({
                index,
                width: job.width,
                height: job.height,
                content_type: 'image/png' as const,
              })),
            }
          : null,
      error: state === 'failed' && job.error ? { ...job.error } : null,
    };
  }
}
