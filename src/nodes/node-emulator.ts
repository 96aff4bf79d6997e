import type { Catalog } from '../catalog/load-catalog.js';
import type { NodeEntry } from '../catalog/catalog-schema.js';
import type { Clock } from '../clock/clock.js';
import type { components } from '../generated/node.js';
import { createRng, hashString, mix32, sampleQuantiles, pickWeighted, type Rng } from '../rng/rng.js';
import type { FaultSet } from './faults.js';

export type Job = components['schemas']['Job'];
export type JobRequest = components['schemas']['JobRequest'];
export type Health = components['schemas']['Health'];
export type JobState = components['schemas']['JobState'];

interface JobRecord {
  id: string;
  model: string;
  modelId: string;
  state: JobState;
  /** Order of arrival in the queue; the queue position is derived from it. */
  queueSeq: number;
  submittedAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  width: number;
  height: number;
  numImages: number;
  error: { type: string; detail: string } | null;
  /** Made by fixture(): its queue position never moves. */
  fixture?: boolean;
}

/** What faults do to one call: nothing, refuse the connection, never answer, or a 503. */
export type FaultEffect = 'none' | 'refuse' | 'hang' | 'error';

export interface NodeEmulatorDeps {
  node: NodeEntry;
  catalog: Catalog;
  clock: Clock;
  faults: FaultSet;
  seed: number;
  timeScale: number;
  /** Overrides the catalog's capacity. */
  capacity?: number | undefined;
  /** Told when a job starts or finishes (metrics). */
  onChange?: ((job: Job) => void) | undefined;
}

/**
 * One provider backend node: at most `capacity` jobs run at once, the rest wait in FIFO order.
 * A job's duration and outcome come from its model's catalog entry and an RNG seeded by
 * (seed, node, job id), so they do not depend on what else the node is doing.
 */
export class NodeEmulator {
  readonly id: string;
  readonly capacity: number;
  private jobs = new Map<string, JobRecord>();
  private queue: JobRecord[] = [];
  private queueHead = 0;
  private enqueued = 0;
  private dequeued = 0;
  private running = 0;
  private faultRng: Rng;

  constructor(private readonly deps: NodeEmulatorDeps) {
    this.id = deps.node.id;
    this.capacity = deps.capacity ?? deps.node.capacity;
    this.faultRng = createRng(mix32(deps.seed, hashString(this.id), 0xfa17));
    deps.faults.onRemoved(() => this.pump());
  }

  /** Jobs it may run at once now: its capacity, lowered by any capacity fault in force. */
  private room(): number {
    return this.deps.faults
      .active(this.id)
      .filter((f) => f.kind === 'capacity')
      .reduce((c, f) => Math.min(c, f.value ?? c), this.capacity);
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

  /** The probability that a job of this model fails at the provider: its catalog rate, raised by model error_rate faults. */
  private failureRate(modelId: string, base: number): number {
    return this.deps.faults
      .active(`model:${modelId}`)
      .filter((f) => f.kind === 'error_rate')
      .reduce((p, f) => 1 - (1 - p) * (1 - (f.value ?? 1)), base);
  }

  private latencyFactor(modelId: string): number {
    const faults = [...this.deps.faults.active(this.id), ...this.deps.faults.active(`model:${modelId}`)];
    return faults.filter((f) => f.kind === 'latency_multiplier').reduce((m, f) => m * (f.value ?? 1), 1);
  }

  /** Accept a job (idempotent on its id); the caller has validated the request. */
  submit(req: JobRequest, modelId: string): Job {
    const existing = this.jobs.get(req.job_id);
    if (existing) return this.view(existing);
    const job: JobRecord = {
      id: req.job_id,
      model: req.model,
      modelId,
      state: 'queued',
      queueSeq: 0,
      submittedAt: this.deps.clock.now(),
      startedAt: null,
      finishedAt: null,
      width: req.width,
      height: req.height,
      numImages: req.num_images,
      error: null,
    };
    this.jobs.set(job.id, job);
    if (this.running < this.room()) this.start(job);
    else {
      job.queueSeq = this.enqueued++;
      this.queue.push(job);
    }
    return this.view(job);
  }

  /**
   * A job made to order (`POST /_sim/jobs`, for provider states): stored in `state` with no timer
   * and no capacity used, so it stays there on any clock. Replaces a job of the same id.
   */
  fixture(req: JobRequest, modelId: string, state: JobState, error: JobRecord['error']): Job {
    const now = this.deps.clock.now();
    const done = state === 'succeeded' || state === 'failed';
    const job: JobRecord = {
      id: req.job_id,
      model: req.model,
      modelId,
      state,
      // Ahead of every real job, so a queued fixture reads queue_position 1.
      queueSeq: this.dequeued,
      submittedAt: now,
      startedAt: state === 'queued' ? null : now,
      finishedAt: done ? now : null,
      width: req.width,
      height: req.height,
      numImages: req.num_images,
      error:
        state === 'failed' ? (error ?? { type: 'provider_error', detail: 'the provider reported a failure' }) : null,
      fixture: true,
    };
    this.jobs.set(job.id, job);
    return this.view(job);
  }

  get(id: string): Job | undefined {
    const job = this.jobs.get(id);
    return job && this.view(job);
  }

  health(): Health {
    const degraded = this.deps.faults.active(this.id).some((f) => f.kind !== 'outage');
    return {
      status: degraded ? 'degraded' : 'ok',
      node: this.id,
      capacity: this.capacity,
      running: this.running,
      queued: this.enqueued - this.dequeued,
    };
  }

  reset(): void {
    this.jobs.clear();
    this.queue = [];
    this.queueHead = this.enqueued = this.dequeued = this.running = 0;
    this.faultRng = createRng(mix32(this.deps.seed, hashString(this.id), 0xfa17));
  }

  private start(job: JobRecord): void {
    const { clock, catalog, seed, timeScale } = this.deps;
    const model = catalog.model(job.modelId)!;
    const rng = createRng(mix32(seed, hashString(this.id), hashString(job.id)));
    const runMs = Math.round(sampleQuantiles(rng, model.latency_ms) * timeScale * this.latencyFactor(job.modelId));
    const fails = rng.next() < this.failureRate(job.modelId, model.failure.rate);
    const error = fails ? pickWeighted(rng, catalog.file.errors) : null;
    this.running++;
    job.state = 'running';
    job.startedAt = clock.now();
    this.deps.onChange?.(this.view(job));
    clock.schedule(job.startedAt + runMs, () => this.finish(job, error && { type: error.code, detail: error.message }));
  }

  private finish(job: JobRecord, error: JobRecord['error']): void {
    if (this.jobs.get(job.id) !== job) return; // reset since
    job.state = error ? 'failed' : 'succeeded';
    job.error = error;
    job.finishedAt = this.deps.clock.now();
    this.running--;
    this.deps.onChange?.(this.view(job));
    this.pump();
  }

  /** Start queued jobs while there is room (after a job finishes, or a capacity fault ends). */
  private pump(): void {
    const room = this.room();
    while (this.running < room && this.queueHead < this.queue.length) {
      const next = this.queue[this.queueHead++]!;
      this.dequeued++;
      this.start(next);
    }
    if (this.queueHead > 1024 && this.queueHead * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.queueHead);
      this.queueHead = 0;
    }
  }

  private view(job: JobRecord): Job {
    return {
      id: job.id,
      model: job.model,
      state: job.state,
      queue_position: job.state !== 'queued' ? null : job.fixture ? 1 : job.queueSeq - this.dequeued + 1,
      submitted_at: job.submittedAt,
      started_at: job.startedAt,
      finished_at: job.finishedAt,
      result:
        job.state === 'succeeded'
          ? {
              images: Array.from({ length: job.numImages }, (_, index) => ({
                index,
                width: job.width,
                height: job.height,
                content_type: 'image/png' as const,
              })),
            }
          : null,
      error: job.error && { ...job.error },
    };
  }
}
