import { randomUUID } from 'node:crypto';
import type { TaskRecord } from '../gateway/task.js';
import type { JobMove, ScheduledJob, Store } from '../store/store.js';
import type { Clock } from './clock.js';

/**
 * The step kinds a scheduler runs, each with its payload type: `{ 'dispatch.poll': PollState, … }`.
 * Each layer declares its own kinds (routing, webhooks); the wiring joins them with `&`.
 */
// `object`, not Record<string, unknown>: each layer declares its kinds as an interface, which has no index signature.
export type StepKinds = object;

/** One step as a discriminated union of its kinds: `{ kind: 'dispatch.poll', payload: PollState } | …`. */
export type Step<K extends StepKinds> = { [Kind in keyof K & string]: { kind: Kind; payload: K[Kind] } }[keyof K &
  string];

/**
 * Runs a step of kind `Kind`, with that kind's own payload. `next` schedules the steps that follow
 * it: on a shared store they are stored with this step's completion, in one store call.
 */
export type StepHandler<K extends StepKinds, P> = (payload: P, next: NextSteps<K>) => Promise<void>;

/** Where a running step schedules what follows it (the scheduler itself, or the step's own run). */
export type NextSteps<K extends StepKinds> = Pick<StepScheduler<K>, 'at'>;

/**
 * Where deferred steps wait. On one instance they are clock timers (the manual clock drives them);
 * on a shared store they are jobs any instance can claim, so a task goes on if its instance dies.
 */
export interface StepScheduler<K extends StepKinds> {
  on<Kind extends keyof K & string>(kind: Kind, handler: StepHandler<K, K[Kind]>): void;
  /**
   * Run `kind` with `payload` at epoch ms `due`; resolves once the step is safely recorded.
   * `group`: steps that `wake` may bring forward together.
   */
  at<Kind extends keyof K & string>(due: number, kind: Kind, payload: K[Kind], group?: string): Promise<void>;
  /**
   * Stored steps only (absent on clock timers, where a step costs no store call): each step of
   * `kind` in `group` still waiting is given to `rewrite`, which returns its new due and payload
   * (earlier) or undefined to leave it. One that is claimed meanwhile runs as it was.
   */
  wake?<Kind extends keyof K & string>(group: string, kind: Kind, rewrite: StepRewrite<K[Kind]>): Promise<void>;
  /**
   * The step as a job to store now with other writes (createTask), leased to the caller, which
   * runs it at once and then completes it; undefined when steps are not stored (clock timers).
   */
  stored?<Kind extends keyof K & string>(due: number, kind: Kind, payload: K[Kind]): StoredStep<K> | undefined;
  /** Forget steps scheduled before now (a simulator reset). */
  reset(): void;
  close(): Promise<void>;
}

/** A waiting step's new due and payload, or undefined to leave it. */
export type StepRewrite<P> = (payload: P, due: number) => { due: number; payload: P } | undefined;

/** A step as its store job, with how long the caller that stored it may hold it. */
export interface StoredStep<K extends StepKinds> {
  job: ScheduledJob;
  leaseMs: number;
  /** Run `fn` as this step, then complete it: the steps `fn` schedules on `next` are stored with the completion, in one store call. */
  run(fn: (next: NextSteps<K>) => Promise<void>): Promise<void>;
  /**
   * Store `task` (as putTask, replacing one kept before) with this step's completion: true until
   * the step has completed; false after, when the caller must put it itself.
   */
  withCompletion(task: TaskRecord): boolean;
}

const SCHEDULED: Promise<void> = Promise.resolve();

/** Handlers by kind; each is stored with its own payload type and found again with it. */
class Handlers<K extends StepKinds> {
  private readonly byKind = new Map<string, StepHandler<K, never>>();

  set<Kind extends keyof K & string>(kind: Kind, handler: StepHandler<K, K[Kind]>): void {
    this.byKind.set(kind, handler);
  }

  get<Kind extends keyof K & string>(kind: Kind): StepHandler<K, K[Kind]> | undefined {
    // Set only by set() above under the same kind, so the payload type matches.
    return this.byKind.get(kind) as StepHandler<K, K[Kind]> | undefined;
  }

  has(kind: string): kind is keyof K & string {
    return this.byKind.has(kind);
  }
}

/**
 * Steps as timers on the simulator clock; payloads are passed by reference, never serialized.
 * A step's timer holds its payload and a runner shared by every step of its kind (one per kind
 * and generation), so a step in flight costs its payload and a heap entry, no closure.
 */
export class ClockSteps<K extends StepKinds> implements StepScheduler<K> {
  private readonly handlers = new Handlers<K>();
  private generation = 0;
  /** This generation's runner of each kind; reset() starts a new generation, whose runners are new. */
  private runners = new Map<string, (payload: never) => Promise<void> | undefined>();

  constructor(private readonly clock: Clock) {}

  on<Kind extends keyof K & string>(kind: Kind, handler: StepHandler<K, K[Kind]>): void {
    this.handlers.set(kind, handler);
    this.runners.delete(kind);
  }

  at<Kind extends keyof K & string>(due: number, kind: Kind, payload: K[Kind]): Promise<void> {
    // A group needs no index here: a clock timer costs nothing to wait, so nothing sleeps.
    try {
      this.clock.call(due, this.runner(kind), payload);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    // One settled promise for every step: nothing waits on a clock timer being recorded.
    return SCHEDULED;
  }

  /** Runs a step of `kind` with its payload, unless a reset() came after it was scheduled. */
  private runner<Kind extends keyof K & string>(kind: Kind): (payload: K[Kind]) => Promise<void> | undefined {
    // Made below for this same kind, so it takes this kind's payload.
    const known = this.runners.get(kind) as ((payload: K[Kind]) => Promise<void> | undefined) | undefined;
    if (known) return known;
    const handler = this.handlers.get(kind);
    if (!handler) throw new Error(`no step handler for ${kind}`);
    const gen = this.generation;
    const run = (payload: K[Kind]) => (gen === this.generation ? handler(payload, this) : undefined);
    this.runners.set(kind, run);
    return run;
  }

  reset(): void {
    this.generation++;
    this.runners = new Map();
  }

  async close(): Promise<void> {}
}

/**
 * The steps a running stored step schedules: kept while it runs, to be stored with its
 * completion; once it is done (the rest of a step that let go of a hung node call), each is
 * stored on its own.
 */
class StepRun<K extends StepKinds> implements NextSteps<K> {
  readonly jobs: ScheduledJob[] = [];
  /** The task record to store with the completion (its last write in this step). */
  task: TaskRecord | undefined;
  open = true;

  constructor(
    private readonly steps: NextSteps<K>,
    private readonly job: (due: number, kind: string, payload: unknown, group?: string) => ScheduledJob,
  ) {}

  at<Kind extends keyof K & string>(due: number, kind: Kind, payload: K[Kind], group?: string): Promise<void> {
    if (!this.open) return this.steps.at(due, kind, payload, group);
    this.jobs.push(this.job(due, kind, payload, group));
    return SCHEDULED;
  }

  keep(task: TaskRecord): boolean {
    if (this.open) this.task = task;
    return this.open;
  }
}

/** A stored step that no handler can run (unknown kind, or a payload that is not a JSON object). */
export class BadStoredStep extends Error {}

export interface StoreStepsOptions {
  /** How often each instance looks for due steps (real ms). */
  pollMs: number;
  /** How long a claimed step may run before another instance may take it over. */
  leaseMs: number;
  batch: number;
  /** The task a step moves (stored with it, so a task with no pending step can be found). */
  taskOf?: (kind: string, payload: unknown) => string | undefined;
}

/**
 * Steps as jobs in the shared store: every instance claims due ones (each exactly once per lease)
 * and runs them; a step whose instance died is claimed again when its lease runs out. Handlers
 * must tolerate running twice (they do: the node is idempotent on job_id, polls are reads).
 * Payloads are JSON in the store; `parseStep` is the one place they come back typed.
 */
export class StoreSteps<K extends StepKinds> implements StepScheduler<K> {
  private readonly handlers = new Handlers<K>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  /** Ids of the stored steps running here: their leases are renewed until they complete. */
  private readonly live = new Set<string>();
  private heartbeat: NodeJS.Timeout | undefined;
  private renewing = false;

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly options: StoreStepsOptions,
    private readonly onError: (err: unknown) => void,
  ) {
    this.timer = setInterval(() => void this.tick(), options.pollMs);
    this.timer.unref();
  }

  on<Kind extends keyof K & string>(kind: Kind, handler: StepHandler<K, K[Kind]>): void {
    this.handlers.set(kind, handler);
  }

  at<Kind extends keyof K & string>(due: number, kind: Kind, payload: K[Kind], group?: string): Promise<void> {
    return this.store.scheduleJob(this.job(due, kind, payload, group));
  }

  stored<Kind extends keyof K & string>(due: number, kind: Kind, payload: K[Kind]): StoredStep<K> {
    const job = this.job(due, kind, payload);
    const run = this.stepRun();
    return {
      job,
      leaseMs: this.options.leaseMs,
      run: (fn) => this.runAs(job, fn, run),
      withCompletion: (task) => run.keep(task),
    };
  }

  async wake<Kind extends keyof K & string>(group: string, kind: Kind, rewrite: StepRewrite<K[Kind]>): Promise<void> {
    const moves: JobMove[] = [];
    for (const job of await this.store.groupJobs(group)) {
      if (job.kind !== kind) continue;
      // Stored by at() for this kind (parseStep checks it is an object), so it has the kind's payload shape.
      const step = this.parseStep(job.kind, job.payload) as { kind: Kind; payload: K[Kind] };
      const moved = rewrite(step.payload, job.due);
      if (moved && moved.due < job.due)
        moves.push({ job: { ...job, due: moved.due, payload: JSON.stringify(moved.payload) }, fromDue: job.due });
    }
    await this.store.moveJobs(moves);
  }

  private job(due: number, kind: string, payload: unknown, group?: string): ScheduledJob {
    const job: ScheduledJob = { id: randomUUID(), due, kind, payload: JSON.stringify(payload) };
    const taskId = this.options.taskOf?.(kind, payload);
    if (taskId !== undefined) job.taskId = taskId;
    if (group !== undefined) job.group = group;
    return job;
  }

  /** `job`, for the step runs (one function for all of them: a run costs no closure). */
  private readonly makeJob = (due: number, kind: string, payload: unknown, group?: string) =>
    this.job(due, kind, payload, group);

  private stepRun(): StepRun<K> {
    return new StepRun(this, this.makeJob);
  }

  /**
   * Run `fn` as the stored step `job`, then complete it with the steps `fn` scheduled (and the
   * task record kept with it), in one store call: a step's successors are recorded exactly when
   * it is done. Should `fn` fail, none is stored and the step runs again after its lease. Steps
   * scheduled after `fn` resolved (the rest of a step that let go of a hung node call) are
   * stored on their own.
   */
  private async runAs(
    job: ScheduledJob,
    fn: (next: NextSteps<K>) => Promise<void>,
    next = this.stepRun(),
  ): Promise<void> {
    this.hold(job.id);
    try {
      try {
        await fn(next);
      } finally {
        next.open = false;
      }
      await this.store.completeJob(job.id, next.jobs, next.task);
    } finally {
      this.letGo(job.id);
    }
  }

  /**
   * Keep `id`'s lease while it runs here: a step that outlasts its lease (a slow webhook
   * receiver, a node call waiting out its timeout) would otherwise be claimed and run again by
   * another instance while this one is still at it. Only a dead instance's steps run out.
   */
  private hold(id: string): void {
    this.live.add(id);
    if (this.heartbeat) return;
    this.heartbeat = setInterval(() => void this.renew(), Math.max(1, Math.floor(this.options.leaseMs / 3)));
    this.heartbeat.unref();
  }

  private letGo(id: string): void {
    this.live.delete(id);
    if (this.live.size > 0 || !this.heartbeat) return;
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  private async renew(): Promise<void> {
    if (this.renewing || this.live.size === 0) return;
    this.renewing = true;
    try {
      await this.store.renewJobs([...this.live], this.clock.now() + this.options.leaseMs);
    } catch {
      // A store that cannot be reached cannot renew: the leases run out as if this instance died,
      // and the next beat tries again.
    } finally {
      this.renewing = false;
    }
  }

  /** A stored job back as a step of a known kind, or an error naming what is wrong with it. */
  private parseStep(kind: string, json: string): Step<K> {
    if (!this.handlers.has(kind)) throw new BadStoredStep(`stored step of unknown kind ${JSON.stringify(kind)}`);
    let payload: unknown;
    try {
      payload = JSON.parse(json);
    } catch {
      throw new BadStoredStep(`stored ${kind} step: payload is not JSON`);
    }
    if (payload === null || typeof payload !== 'object')
      throw new BadStoredStep(`stored ${kind} step: payload not an object`);
    // Written by at() for this kind with JSON.stringify, so it has the kind's payload shape.
    return { kind, payload } as Step<K>;
  }

  private run(step: Step<K>, next: NextSteps<K>): Promise<void> {
    return this.handlers.get(step.kind)?.(step.payload, next) ?? Promise.resolve();
  }

  /** Claim and run what is due; one pass at a time per instance. */
  async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (;;) {
        const jobs = await this.store.claimDueJobs(this.clock.now(), this.options.batch, this.options.leaseMs);
        await Promise.all(
          jobs.map(async (job) => {
            try {
              const step = this.parseStep(job.kind, job.payload);
              await this.runAs(job, (next) => this.run(step, next));
            } catch (err) {
              this.onError(err);
              // A step that cannot be read never will be: drop it. Otherwise the lease runs out and it is tried again.
              if (err instanceof BadStoredStep) await this.store.completeJob(job.id);
            }
          }),
        );
        if (jobs.length < this.options.batch) break;
      }
    } catch (err) {
      this.onError(err);
    } finally {
      this.running = false;
    }
  }

  reset(): void {}

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }
}
