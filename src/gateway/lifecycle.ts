import type { RouteEntry } from '../catalog/catalog-schema.js';
import type { Catalog, ModelRef } from '../catalog/load-catalog.js';
import type { Clock } from '../clock/clock.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Job, JobRequest } from '../nodes/node-emulator.js';
import { createRng, mix32, randomString } from '../rng/rng.js';
import { routeOrder } from '../routing/route-order.js';
import type { TaskUpdates } from '../routing/dispatcher.js';
import type { Store } from '../store/store.js';
import { errors } from './errors.js';
import {
  isTerminal,
  type TaskAttempt,
  type TaskErrorCode,
  type TaskErrorView,
  type TaskRecord,
  type TaskStatus,
} from './task.js';

export interface LifecycleDeps {
  catalog: Catalog;
  store: Store;
  clock: Clock;
  seed: number;
  metrics: Metrics;
  /** Hands a new task to routing. */
  dispatch: (task: TaskRecord, job: JobRequest, routes: RouteEntry[]) => Promise<void>;
  /** Called once a task reaches COMPLETED or FAILED (webhooks hang here). */
  onTerminal?: (task: TaskRecord) => void | Promise<void>;
  /** The task error codes of the spec (`TaskErrorCode`). */
  errorCodes: ReadonlySet<string>;
  /** Other instances share the store: a task may finish elsewhere. */
  sharedStore?: boolean;
  /** Mixed into every task's RNG so instances sharing a store and a seed never mint the same ids. */
  instanceSalt?: number;
  /** The secret part of a task's image URLs. */
  imageToken: (taskId: string) => string;
}

const SHARED_WAIT_POLL_MS = 25;

/** What chance decides at submit, from the task's own RNG: its id and the order of its routes. */
export interface TaskPlan {
  id: string;
  routes: RouteEntry[];
  imageSeed: number;
}

export interface NewTask {
  key: string;
  ref: ModelRef;
  prompt: string;
  params: Record<string, unknown>;
  price: number;
  numImages: number;
  width: number;
  height: number;
  callbackUrl: string | null;
}

const STATUS: Record<Job['state'], TaskStatus> = {
  queued: 'IN_QUEUE',
  running: 'IN_PROGRESS',
  succeeded: 'COMPLETED',
  failed: 'FAILED',
};

/**
 * The task lifecycle, IN_QUEUE → IN_PROGRESS → COMPLETED | FAILED, as the gateway sees it: a
 * task is created with its credits held, routed to a node, and moves as its node's job moves.
 * Task n draws from RNG(seed, n), so ids and route choices repeat under the same seed.
 */
export class Lifecycle implements TaskUpdates {
  private counter = 0;
  private waiters = new Map<string, Array<{ resolve: (t: TaskRecord) => void; reject: (e: Error) => void }>>();
  /** Per-task chains, so a poll and a read-through never apply the same job state twice at once. */
  private locks = new Map<string, Promise<unknown>>();

  constructor(private readonly deps: LifecycleDeps) {}

  plan(ref: ModelRef): TaskPlan {
    const n = ++this.counter;
    const rng = createRng(
      this.deps.instanceSalt === undefined
        ? mix32(this.deps.seed, n)
        : mix32(this.deps.seed, this.deps.instanceSalt, n),
    );
    const routes = routeOrder(rng, ref.model.routes);
    const node = this.deps.catalog.nodes.get(routes[0]!.node)!;
    return {
      id: `${node.prefix}${randomString(rng, 11)}_${ref.model.tag}`,
      routes,
      imageSeed: mix32(this.deps.seed, n, 0x1a6e),
    };
  }

  /** Store the task (its credits already held), hand it to routing, and give back the task as its first attempt left it. */
  async start(plan: TaskPlan, t: NewTask): Promise<TaskRecord> {
    const task = this.record(plan, t);
    await this.deps.store.putTask(task);
    const job: JobRequest = {
      job_id: task.id,
      model: task.subModel,
      prompt: t.prompt,
      params: t.params,
      num_images: t.numImages,
      width: t.width,
      height: t.height,
    };
    await this.deps.dispatch(task, job, plan.routes);
    // The first dispatch attempt has run: answer with what it made of the task.
    return (await this.deps.store.getTask(task.id)) ?? task;
  }

  /**
   * A task made to order (`POST /_sim/tasks`, for provider states): stored in `status` and never
   * routed, so it stays there whatever the clock does. It holds no credits (`t.price` is ignored).
   */
  async fixture(plan: TaskPlan, t: NewTask, status: TaskStatus, error: TaskRecord['error']): Promise<TaskRecord> {
    const base = this.record(plan, t);
    const now = this.deps.clock.now();
    const accepted: TaskAttempt = {
      node: base.node,
      provider: base.provider,
      at: now,
      outcome: 'accepted',
      detail: null,
    };
    const task: TaskRecord = {
      ...base,
      status,
      held: 0,
      fixture: true,
      // IN_QUEUE is a job waiting at its node: accepted there, next in line.
      attempts: [accepted],
      queuePosition: status === 'IN_QUEUE' ? 1 : null,
      startedAt: status === 'IN_QUEUE' ? null : now,
      completedAt: isTerminal(status) ? now : null,
      error:
        status === 'FAILED' ? (error ?? { code: 'provider_error', message: 'the provider reported a failure' }) : null,
    };
    await this.deps.store.putTask(task);
    // A finished fixture with a callback_url is delivered like any finished task (the webhook pact's state).
    if (isTerminal(status) && task.callbackUrl) await this.deps.onTerminal?.(task);
    return task;
  }

  private record(plan: TaskPlan, t: NewTask): TaskRecord {
    const first = plan.routes[0]!;
    return {
      id: plan.id,
      key: t.key,
      model: t.ref.model.id,
      subModel: t.ref.subModel.id,
      node: first.node,
      provider: first.provider,
      status: 'IN_QUEUE',
      queuePosition: null,
      attempts: [],
      createdAt: this.deps.clock.now(),
      startedAt: null,
      completedAt: null,
      width: t.width,
      height: t.height,
      numImages: t.numImages,
      imageSeed: plan.imageSeed,
      imageToken: this.deps.imageToken(plan.id),
      error: null,
      held: t.price,
      charged: 0,
      callbackUrl: t.callbackUrl,
    };
  }

  private serial<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prior = this.locks.get(id) ?? Promise.resolve();
    const next = prior.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.locks.set(id, tail);
    void tail.then(() => {
      if (this.locks.get(id) === tail) this.locks.delete(id);
    });
    return next;
  }

  accepted(id: string, route: RouteEntry, attempts: TaskAttempt[], job: Job): Promise<void> {
    return this.serial(id, async () => {
      const task = await this.deps.store.getTask(id);
      if (!task || isTerminal(task.status)) return;
      await this.apply({ ...task, node: route.node, provider: route.provider, attempts: [...attempts] }, job);
    });
  }

  observe(id: string, job: Job): Promise<TaskRecord | undefined> {
    return this.serial(id, async () => {
      const task = await this.deps.store.getTask(id);
      if (!task || isTerminal(task.status)) return task;
      return this.apply(task, job);
    });
  }

  fail(id: string, error: TaskErrorView, attempts?: TaskAttempt[]): Promise<void> {
    return this.serial(id, async () => {
      const task = await this.deps.store.getTask(id);
      if (!task || isTerminal(task.status)) return;
      await this.finish(
        { ...task, ...(attempts ? { attempts: [...attempts] } : {}) },
        'FAILED',
        error,
        this.deps.clock.now(),
      );
    });
  }

  /** Bring a task up to its node's view of the job. */
  private async apply(task: TaskRecord, job: Job): Promise<TaskRecord> {
    const status = STATUS[job.state];
    if (status === 'COMPLETED' || status === 'FAILED') {
      const error = status === 'FAILED' ? this.taskError(job) : null;
      return this.finish(
        { ...task, startedAt: job.started_at ?? task.startedAt },
        status,
        error,
        job.finished_at ?? this.deps.clock.now(),
      );
    }
    const next: TaskRecord = { ...task, status, queuePosition: job.queue_position, startedAt: job.started_at };
    if (
      next.status !== task.status ||
      next.queuePosition !== task.queuePosition ||
      next.startedAt !== task.startedAt ||
      next.attempts !== task.attempts
    ) {
      await this.deps.store.putTask(next);
    }
    return next;
  }

  /** A node's failure as a task error; a code the spec does not list (a real node's own) becomes provider_error. */
  private taskError(job: Job): TaskErrorView {
    if (!job.error) return { code: 'provider_error', message: 'the node reported a failure' };
    const code = this.deps.errorCodes.has(job.error.type) ? (job.error.type as TaskErrorCode) : 'provider_error';
    return { code, message: code === job.error.type ? job.error.detail : `${job.error.type}: ${job.error.detail}` };
  }

  private async finish(
    task: TaskRecord,
    status: 'COMPLETED' | 'FAILED',
    error: TaskRecord['error'],
    at: number,
  ): Promise<TaskRecord> {
    const { store, metrics } = this.deps;
    const ok = status === 'COMPLETED';
    // settle is atomic in the store: normally only the instance that moves the credits finishes the
    // task. If they moved but the task is not finished, that instance died in between: finish it here.
    if (!(await store.settle(task.id, ok ? 'capture' : 'release', this.deps.clock.now())) && task.held > 0) {
      const stored = await store.getTask(task.id);
      if (!stored || isTerminal(stored.status)) return stored ?? task;
    }
    const done: TaskRecord = {
      ...task,
      status,
      queuePosition: null,
      startedAt: task.startedAt ?? (ok ? at : null),
      completedAt: at,
      error: ok ? null : error,
      held: 0,
      charged: ok ? task.held : 0,
    };
    await store.putTask(done);
    metrics.tasks.inc({ model: done.model, status });
    metrics.taskSeconds.observe({ model: done.model }, (at - done.createdAt) / 1000);
    if (ok) metrics.creditsCharged.inc(done.charged);
    else metrics.taskFailures.inc({ model: done.model, code: error?.code ?? 'unknown' });
    for (const w of this.waiters.get(task.id) ?? []) w.resolve(done);
    this.waiters.delete(task.id);
    await this.deps.onTerminal?.(done);
    return done;
  }

  /** Resolve when the task is COMPLETED or FAILED (for sync models, which answer only then). */
  async settled(id: string): Promise<TaskRecord> {
    const result = new Promise<TaskRecord>((resolve, reject) => {
      const list = this.waiters.get(id) ?? [];
      list.push({ resolve, reject });
      this.waiters.set(id, list);
    });
    const now = await this.deps.store.getTask(id);
    if (now && isTerminal(now.status)) {
      this.waiters.delete(id);
      return now;
    }
    if (this.deps.sharedStore) this.watch(id);
    return result;
  }

  /** On a shared store another instance may finish the task: watch the store too. */
  private watch(id: string): void {
    const timer = setInterval(() => {
      if (!this.waiters.has(id)) return clearInterval(timer);
      void this.deps.store.getTask(id).then(
        (t) => {
          if (!t || !isTerminal(t.status)) return;
          clearInterval(timer);
          for (const w of this.waiters.get(id) ?? []) w.resolve(t);
          this.waiters.delete(id);
        },
        () => undefined,
      );
    }, SHARED_WAIT_POLL_MS);
    timer.unref();
  }

  /** Answer every request waiting for a sync task 503 (the simulator is resetting or stopping). */
  abandonWaiters(): void {
    for (const list of this.waiters.values()) {
      for (const w of list)
        w.reject(errors.unavailable('The simulator was reset or stopped while this request waited for its task'));
    }
    this.waiters.clear();
  }

  reset(): void {
    this.counter = 0;
    this.abandonWaiters();
    this.locks.clear();
  }
}
