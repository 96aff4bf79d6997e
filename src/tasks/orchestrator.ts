import type { RouteEntry } from '../catalog/catalog-schema.js';
import type { ModelRef } from '../catalog/load-catalog.js';
import type { Clock } from '../clock/clock.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Job } from '../nodes/node-emulator.js';
import type { Authorized, FinishDelivery, TaskCreated, TaskCreation, Store } from '../store/store.js';
import type { NextSteps, StoredStep } from '../clock/steps.js';
import type { DispatchState, RoutingSteps } from '../routing/dispatcher.js';
import { createOrResolve } from './create-task.js';
import type { TaskRecovery } from './reconciler.js';
import {
  isTerminal,
  type TaskAttempt,
  type TaskErrorView,
  type TaskRecord,
  type TaskStatus,
  type TerminalStatus,
} from '../gateway/task.js';
import { jobRequest, TaskPlanner, type NewTask, type PlannerDeps, type TaskPlan } from './task-plan.js';
import { SyncWaiters } from './sync-waiters.js';
import type { TaskEvents, TaskRouting } from './task-events.js';
import { statusOf, taskErrorOf } from './job-status.js';

/** One move of a task's status, as the orchestrator made it (for a debug log line, say). */
export interface TaskTransition {
  taskId: string;
  model: string;
  from: TaskStatus | null;
  to: TaskStatus;
  /** Simulator clock, epoch ms. */
  at: number;
}

export interface OrchestratorDeps extends PlannerDeps {
  store: Store;
  clock: Clock;
  metrics: Metrics;
  /** Builds the routing that reports to this orchestrator (so neither needs the other first). */
  routing: (events: TaskEvents) => TaskRouting<NextSteps<RoutingSteps>>;
  /** Handed every finished fixture (the webhook deliverer's enqueue). */
  onFinished?: (task: TaskRecord) => Promise<void>;
  /**
   * The webhook of a task about to finish (the deliverer's prepare): stored by `finishTask` with
   * the finish, then `started` once this caller has won it.
   */
  delivery?: (done: TaskRecord) => { stored: FinishDelivery; started: () => Promise<void> } | undefined;
  /** Told of every status transition; unused by default. */
  onTransition?: (transition: TaskTransition) => void;
  /** The task error codes of the spec (`TaskErrorCode`). */
  errorCodes: ReadonlySet<string>;
  /** Other instances share the store: a task may finish elsewhere. */
  sharedStore?: boolean;
  /** The first dispatch step as a stored job (steps in a shared store), so it is created with the task. */
  firstStep?: (due: number, dispatch: DispatchState) => StoredStep<RoutingSteps> | undefined;
}

/** Whether `job` leaves `task` as it is: the same status, queue position and start (what `apply` writes). */
function unchanged(task: TaskRecord, job: Job): boolean {
  const status = statusOf(job.state);
  return (
    !isTerminal(status) &&
    status === task.status &&
    job.queue_position === task.queuePosition &&
    job.started_at === task.startedAt
  );
}

/** What a submit made: its task, or why there is none. */
export type Started =
  Exclude<TaskCreated, { kind: 'created' }> | { kind: 'created'; task: TaskRecord; admitted?: Authorized };

/**
 * The one owner of a task's life, IN_QUEUE → IN_PROGRESS → COMPLETED | FAILED. It creates the
 * record with its credits held, hands it to routing, and takes routing's events (accepted, job
 * seen, failed); it alone decides each transition, and finishes a task once: the caller that wins
 * the atomic settle moves the credits, records the end, counts it, wakes sync waiters and hands
 * the task to the webhook deliverer.
 */
export class TaskOrchestrator implements TaskEvents, TaskRecovery {
  private readonly planner: TaskPlanner;
  private readonly waiters: SyncWaiters;
  private readonly routing: TaskRouting<NextSteps<RoutingSteps>>;
  /** Tasks inside `start`, with the record as this instance last wrote it (their answer, without a read). */
  private starting = new Map<string, TaskRecord>();
  /** Per-task chains, so a poll and a read-through never apply the same job state twice at once. */
  private locks = new Map<string, Promise<unknown>>();
  /**
   * Tasks inside `start` whose first step is stored and leased here: a record written while the
   * step runs is stored with its completion (no store call of its own).
   */
  private firstSteps = new Map<string, StoredStep<RoutingSteps>>();

  constructor(private readonly deps: OrchestratorDeps) {
    this.planner = new TaskPlanner(deps);
    this.waiters = new SyncWaiters(deps.store, deps.sharedStore ?? false);
    this.routing = deps.routing(this);
  }

  plan(ref: ModelRef): TaskPlan {
    return this.planner.plan(ref);
  }

  /** Whether any of these routes could take the task now (else the submit is refused with 503). */
  routable(routes: readonly RouteEntry[]): boolean {
    return this.routing.available(routes);
  }

  msUntilRoutable(routes: readonly RouteEntry[]): number {
    return this.routing.msUntilAvailable(routes);
  }

  /**
   * Create the task in one atomic store step (its hold, record, idempotency binding and first
   * step; `createTask`), then run its first dispatch attempt here and give back the task as that
   * left it. A create whose answer was lost is resolved first (`create-task.ts`), so the result
   * is the truth: a task that exists, or nothing left behind. With `authorize` (the request's time)
   * the store admits the request in the same step (`TaskCreation.authorize`); one it does not admit
   * gives its plan back, so task ids follow as if it had been refused before planning.
   */
  async start(
    plan: TaskPlan,
    t: NewTask,
    idempotency?: TaskCreation['idempotency'],
    authorize?: number,
  ): Promise<Started> {
    const { store, clock } = this.deps;
    const now = clock.now();
    const task = this.planner.record(plan, t, now);
    const job = jobRequest(task, t);
    const dispatch: DispatchState = {
      taskId: task.id,
      job,
      model: task.model,
      routes: plan.routes,
      attempts: [],
      cursor: 0,
    };
    // Stored due now and leased to this instance: it runs here at once, or, should this
    // instance die first, on any instance once the lease runs out.
    const first = this.deps.firstStep?.(now, dispatch);
    // Booked with the create when its node's jobs are in the store: the attempt then makes no call.
    const booking = this.routing.firstBooking(job, plan.routes);
    const created = await createOrResolve(store, {
      task,
      at: now,
      idempotency,
      firstStep: first && { job: first.job, leasedUntil: now + first.leaseMs },
      authorize,
      booking,
    });
    if (created.kind !== 'created') {
      if (authorize !== undefined && (created.kind === 'unknown_key' || created.kind === 'limited'))
        this.planner.giveBack(plan);
      return created;
    }
    this.transition(task, null);
    this.starting.set(task.id, task);
    if (first) this.firstSteps.set(task.id, first);
    let ran = true;
    try {
      const booked = booking && created.booked && { node: booking.node, read: created.booked };
      const begin = (next?: NextSteps<RoutingSteps>) =>
        this.routing.begin(task.id, task.model, job, plan.routes, next, booked);
      // The attempt ran: the stored first step is completed with the steps it left and the
      // task's last record, in one store call.
      await (first ? first.run(begin) : begin());
    } catch {
      // The store went away under the attempt: the stored first step runs again after its lease.
      ran = false;
    }
    this.firstSteps.delete(task.id);
    // Answer with what the first attempt made of the task: the first step is leased to this
    // instance, so the record it last wrote is the task's. Should the first step's completion
    // have failed, the records kept for it were never stored: the task is as created, or as
    // finished (a finish is stored at once, by its own call).
    const current = this.starting.get(task.id) ?? task;
    const latest = ran || !first || isTerminal(current.status) ? current : task;
    this.starting.delete(task.id);
    return { kind: 'created', task: latest, admitted: created.admitted };
  }

  /**
   * A task made to order (`POST /_sim/tasks`, for provider states): stored in `status` and never
   * routed, so it stays there whatever the clock does. It holds no credits (`t.price` is ignored).
   */
  async fixture(plan: TaskPlan, t: NewTask, status: TaskStatus, error: TaskRecord['error']): Promise<TaskRecord> {
    const task = this.planner.fixture(plan, t, status, error, this.deps.clock.now());
    await this.deps.store.putTask(task);
    // A finished fixture with a callback_url is delivered like any finished task (the webhook pact's state).
    if (isTerminal(status) && task.callbackUrl) await this.deps.onFinished?.(task);
    return task;
  }

  /** The task brought up to its node's view now (read-through on GET); a finished task as it is. */
  async refresh(task: TaskRecord): Promise<TaskRecord> {
    if (isTerminal(task.status)) return task;
    const job = await this.routing.readJob(task);
    if (!job) return task;
    // The node says what the task already says (most reads of a task in flight): nothing to apply,
    // so no turn through the task's lock and no second read of the store.
    if (unchanged(task, job)) return task;
    return (await this.jobSeen(task.id, job)) ?? task;
  }

  accepted(id: string, route: RouteEntry, attempts: TaskAttempt[], job: Job): Promise<void> {
    return this.serial(id, async () => {
      // Inside start (first step leased here, no node had the job) the record start wrote is the stored one.
      const task = this.starting.get(id) ?? (await this.deps.store.getTask(id));
      if (!task || isTerminal(task.status)) return;
      // The node and attempts go in with the job's view, in one copy of the record rather than two.
      await this.apply(task, task, job, { node: route.node, provider: route.provider, attempts: [...attempts] });
    });
  }

  jobSeen(id: string, job: Job): Promise<TaskRecord | undefined> {
    return this.serial(id, async () => {
      const task = await this.deps.store.getTask(id);
      if (!task || isTerminal(task.status)) return task;
      return this.apply(task, task, job);
    });
  }

  failed(id: string, error: TaskErrorView, attempts?: TaskAttempt[]): Promise<void> {
    return this.serial(id, async () => {
      const task = await this.deps.store.getTask(id);
      if (!task || isTerminal(task.status)) return;
      const next = { ...task, ...(attempts ? { attempts: [...attempts] } : {}) };
      await this.finish(next, task.status, 'FAILED', error, this.deps.clock.now());
    });
  }

  /**
   * End a task nothing will move again (the reconciler found it with no pending step). Its job
   * request lived only in the lost step, so it cannot be dispatched again: a job its node still
   * knows is brought up to date (and finished if it has ended); otherwise the task fails
   * (`node_lost` once a node took it, `provider_unavailable` before), releasing its hold.
   */
  async recover(id: string): Promise<void> {
    const task = await this.deps.store.getTask(id);
    if (!task || isTerminal(task.status) || task.fixture) return;
    if (isTerminal((await this.refresh(task)).status)) return;
    const accepted = task.attempts.some((a) => a.outcome === 'accepted');
    await this.failed(
      id,
      accepted
        ? {
            code: 'node_lost',
            message: `the gateway lost track of this job on ${task.node} (an instance or the store failed)`,
          }
        : { code: 'provider_unavailable', message: 'the task was never dispatched (an instance or the store failed)' },
    );
  }

  /** Release the credits of a hold whose task has no record (a fault between them; the reconciler found it). */
  async releaseOrphan(id: string): Promise<void> {
    if (await this.deps.store.getTask(id)) return;
    await this.deps.store.settle(id, 'release', this.deps.clock.now());
  }

  /** Resolve when the task is COMPLETED or FAILED (for sync models, which answer only then). */
  settled(id: string): Promise<TaskRecord> {
    return this.waiters.settled(id);
  }

  /** Answer every request waiting for a sync task 503 (the simulator is resetting or stopping). */
  abandonWaiters(): void {
    this.waiters.abandon();
  }

  reset(): void {
    this.planner.reset();
    this.waiters.abandon();
    this.locks.clear();
    this.starting.clear();
    this.firstSteps.clear();
  }

  private serial<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prior = this.locks.get(id);
    // Nothing ahead of it (almost always): it starts now, with no resolved promise to wait a turn on.
    const next = prior ? prior.then(fn, fn) : fn();
    // The lock is let go as the call settles, either way; a call queued behind it meanwhile holds it then.
    const release = (): void => {
      if (this.locks.get(id) === tail) this.locks.delete(id);
    };
    const tail: Promise<void> = next.then(release, release);
    this.locks.set(id, tail);
    return next;
  }

  /**
   * Bring a task up to its node's view of the job, with `route`'s fields (a node's acceptance) as
   * well; `stored` is the record as the store had it.
   */
  private async apply(
    task: TaskRecord,
    stored: TaskRecord,
    job: Job,
    route?: Pick<TaskRecord, 'node' | 'provider' | 'attempts'>,
  ): Promise<TaskRecord> {
    const status = statusOf(job.state);
    if (isTerminal(status)) {
      const error = status === 'FAILED' ? taskErrorOf(job, this.deps.errorCodes) : null;
      const at = job.finished_at ?? this.deps.clock.now();
      const startedAt = job.started_at ?? task.startedAt;
      return this.finish({ ...task, ...route, startedAt }, stored.status, status, error, at);
    }
    const next: TaskRecord = {
      ...task,
      ...route,
      status,
      queuePosition: job.queue_position,
      startedAt: job.started_at,
    };
    if (
      next.status !== stored.status ||
      next.queuePosition !== stored.queuePosition ||
      next.startedAt !== stored.startedAt ||
      next.attempts !== stored.attempts
    ) {
      if (!this.firstSteps.get(next.id)?.withCompletion(next)) await this.deps.store.putTask(next);
      if (this.starting.has(next.id)) this.starting.set(next.id, next);
      if (next.status !== stored.status) this.transition(next, stored.status);
    }
    return next;
  }

  /**
   * The one terminal transition. `store.finishTask` settles the credits and stores the terminal
   * record in one atomic step, so exactly one caller (on any instance) wins it and goes on to
   * count it, wake sync waiters and start the webhook; a task never gets two. The webhook's
   * delivery (and on stored steps its first attempt) is written in that same step: there is no
   * gap between moving the credits, recording the end and owing the webhook for a dying instance
   * or a lost answer to leave behind.
   */
  private async finish(
    task: TaskRecord,
    from: TaskStatus,
    status: TerminalStatus,
    error: TaskRecord['error'],
    at: number,
  ): Promise<TaskRecord> {
    const { store, metrics, clock } = this.deps;
    const ok = status === 'COMPLETED';
    const done: TaskRecord = {
      ...task,
      status,
      queuePosition: null,
      startedAt: task.startedAt ?? (ok ? at : null),
      completedAt: at,
      error: ok ? null : error,
      imageToken: this.planner.imageToken(status, task.id),
      held: 0,
      charged: ok ? task.held : 0,
    };
    const delivery = this.deps.delivery?.(done);
    if (!(await store.finishTask(done, ok ? 'capture' : 'release', clock.now(), delivery?.stored))) {
      return (await store.getTask(task.id)) ?? task;
    }
    if (this.starting.has(done.id)) this.starting.set(done.id, done);
    this.transition(done, from);
    metrics.tasks.inc({ model: done.model, status });
    metrics.taskSeconds.observe({ model: done.model }, (at - done.createdAt) / 1000);
    if (ok) metrics.creditsCharged.inc(done.charged);
    else metrics.taskFailures.inc({ model: done.model, code: error?.code ?? 'unknown' });
    this.waiters.wake(done);
    await delivery?.started();
    return done;
  }

  private transition(task: TaskRecord, from: TaskStatus | null): void {
    this.deps.onTransition?.({ taskId: task.id, model: task.model, from, to: task.status, at: this.deps.clock.now() });
  }
}
