import type { RouteEntry } from '../catalog/catalog-schema.js';
import type { Clock } from '../clock/clock.js';
import type { TaskAttempt, TaskErrorCode, TaskErrorView, TaskRecord } from '../gateway/task.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Job, JobRequest } from '../nodes/node-emulator.js';
import { NodeCallError, type CallHooks, type NodeClient } from '../nodes/node-client.js';
import type { CircuitBreaker } from './circuit-breaker.js';
import type { StepScheduler } from '../clock/steps.js';

export interface RoutingOptions {
  /** Submit attempts per task, across its routes. */
  maxAttempts: number;
  /** Wait before attempt n (n ≥ 2): backoffMs × 2^(n−2). */
  backoffMs: number;
  /** Gateway → node polls after a job is accepted, then the last delay repeats. */
  pollMs: number[];
  /** A job whose node has not answered a poll for this long is given up as lost. */
  lostAfterMs: number;
}

/** What the dispatcher reports back; the lifecycle owns the task's state. */
export interface TaskUpdates {
  accepted(taskId: string, route: RouteEntry, attempts: TaskAttempt[], job: Job): Promise<void>;
  observe(taskId: string, job: Job): Promise<TaskRecord | undefined>;
  fail(taskId: string, error: TaskErrorView, attempts?: TaskAttempt[]): Promise<void>;
}

export interface DispatcherDeps {
  clock: Clock;
  clients: ReadonlyMap<string, NodeClient>;
  breaker: CircuitBreaker;
  metrics: Metrics;
  options: RoutingOptions;
  updates: TaskUpdates;
  steps: StepScheduler;
}

/** A poll step's state: plain data, so a shared store can hand it to any instance. */
interface PollStep {
  d: Dispatch;
  node: string;
  n: number;
  lastHeard: number;
}

interface Dispatch {
  /** The task's id (its record lives in the store: a step keeps no copy of it). */
  taskId: string;
  job: JobRequest;
  model: string;
  routes: RouteEntry[];
  attempts: TaskAttempt[];
  /** Index into routes of the next route to consider. */
  cursor: number;
}

/**
 * Routes each task to provider nodes: tries its routes in order, skipping nodes whose circuit
 * is open, with bounded attempts and exponential backoff; then polls the accepting node until
 * the job ends. Every step goes through the step scheduler: on the simulator clock its callback
 * returns the step's own I/O, so the manual clock's advance() waits for all of it; on a shared
 * store any instance may run it.
 */
export class Dispatcher {
  constructor(private readonly deps: DispatcherDeps) {
    deps.steps.on('dispatch.attempt', (d) => this.step((h) => this.attempt(d as Dispatch, h)));
    deps.steps.on('dispatch.poll', (p) => {
      const { d, node, n, lastHeard } = p as PollStep;
      return this.step((h) => this.poll(d, this.deps.clients.get(node)!, n, lastHeard, h));
    });
  }

  /**
   * Start routing a task: the first attempt runs now, inside the submit, so the create answer
   * shows what the node did with the job (IN_PROGRESS when it started it at once, as the docs'
   * example). A node that hangs lets the submit answer at once; the rest goes on as steps. Should
   * the attempt itself break (the store, say), it is left to a step, as every later one is.
   */
  async begin(task: TaskRecord, job: JobRequest, routes: RouteEntry[]): Promise<void> {
    const d: Dispatch = { taskId: task.id, job, model: task.model, routes, attempts: [], cursor: 0 };
    try {
      await this.deps.clock.exclusive(() => this.step((h) => this.attempt(d, h)));
    } catch {
      await this.deps.steps.at(this.deps.clock.now(), 'dispatch.attempt', { ...d, attempts: [], cursor: 0 });
    }
  }

  /** Whether any route of these could take a call now (else the submit is refused with 503). */
  available(routes: readonly RouteEntry[]): boolean {
    return this.deps.breaker.anyAvailable(routes.map((r) => r.node));
  }

  msUntilAvailable(routes: readonly RouteEntry[]): number {
    return this.deps.breaker.msUntilAvailable(routes.map((r) => r.node));
  }

  /** Ask a task's node for the job now (read-through on GET); no-op for finished tasks. */
  async refresh(task: TaskRecord): Promise<TaskRecord> {
    const client =
      !task.fixture && task.attempts.some((a) => a.outcome === 'accepted')
        ? this.deps.clients.get(task.node)
        : undefined;
    if (!client) return task;
    try {
      // A hung node is no reason to hold the reader: the stored task is the answer then.
      const job = await new Promise<Job | undefined | typeof HUNG>((resolve, reject) => {
        client.getJob(task.id, { onHung: () => resolve(HUNG) }).then(resolve, reject);
      });
      if (job === HUNG) return task;
      return (job && (await this.deps.updates.observe(task.id, job))) ?? task;
    } catch {
      return task; // the background poll deals with an unreachable node
    }
  }

  /**
   * Run a step (a node call and what follows it) from a clock timer, which waits for all of it,
   * unless the node hangs: a hung call waits for its timeout on this same clock, which the manual
   * clock reaches only once this timer is done. Then the timer lets go, and a timer at the call's
   * deadline (after the call's own timeout timer) carries the rest, so advance() neither
   * deadlocks nor moves past the outcome.
   */
  private step(run: (hooks: CallHooks) => Promise<void>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const done: Promise<void> = run({
        onHung: (deadline) => {
          this.deps.clock.schedule(deadline, () => done);
          resolve();
        },
      });
      done.then(resolve, reject);
    });
  }

  private nextRoute(d: Dispatch): RouteEntry | undefined {
    for (let i = 0; i < d.routes.length; i++) {
      const route = d.routes[(d.cursor + i) % d.routes.length]!;
      if (this.deps.breaker.tryPass(route.node)) {
        d.cursor = (d.cursor + i + 1) % d.routes.length;
        return route;
      }
    }
    return undefined;
  }

  private async attempt(d: Dispatch, hooks: CallHooks): Promise<void> {
    const { clock, clients, breaker, metrics, options, updates } = this.deps;
    const route = this.nextRoute(d);
    if (!route)
      return updates.fail(
        d.taskId,
        failure(d, 'no_route_available', 'every route of this model has an open circuit'),
        d.attempts,
      );
    const previous = d.attempts.at(-1);
    // A retry on the same node (a model with one route) moves nothing: no failover.
    if (previous && previous.node !== route.node)
      metrics.failovers.inc({ model: d.model, from: previous.node, to: route.node });
    const client = clients.get(route.node)!;
    const at = clock.now();
    try {
      const job = await client.submit(d.job, hooks);
      breaker.success(route.node);
      this.record(d, route, at, 'accepted', null, 'submit');
      await updates.accepted(d.taskId, route, d.attempts, job);
      if (job.state !== 'succeeded' && job.state !== 'failed') await this.schedulePoll(d, client, 0, at);
    } catch (err) {
      if (!(err instanceof NodeCallError)) throw err;
      breaker.failure(route.node);
      this.record(d, route, at, err.kind, err.message, 'submit');
      if (err.kind === 'rejected' || d.attempts.length >= options.maxAttempts) {
        return updates.fail(d.taskId, failure(d, 'provider_unavailable', `no node accepted the task`), d.attempts);
      }
      const wait = options.backoffMs * 2 ** (d.attempts.length - 1);
      await this.deps.steps.at(clock.now() + Math.max(1, wait), 'dispatch.attempt', d);
    }
  }

  private schedulePoll(d: Dispatch, client: NodeClient, n: number, lastHeard: number): Promise<void> {
    const { clock, options } = this.deps;
    const delay = options.pollMs[Math.min(n, options.pollMs.length - 1)]!;
    const step: PollStep = { d, node: client.node, n: n + 1, lastHeard };
    return this.deps.steps.at(clock.now() + Math.max(1, delay), 'dispatch.poll', step);
  }

  private async poll(d: Dispatch, client: NodeClient, n: number, lastHeard: number, hooks: CallHooks): Promise<void> {
    const { clock, breaker, metrics, options, updates } = this.deps;
    const start = clock.now();
    try {
      const job = await client.getJob(d.taskId, hooks);
      breaker.success(client.node);
      metrics.nodeCalls.inc({ node: client.node, call: 'poll', outcome: job ? 'ok' : 'not_found' });
      if (!job)
        return updates.fail(d.taskId, { code: 'node_lost', message: `${client.node} no longer knows this job` });
      const task = await updates.observe(d.taskId, job);
      if (task && task.status !== 'COMPLETED' && task.status !== 'FAILED') await this.schedulePoll(d, client, n, start);
    } catch (err) {
      if (!(err instanceof NodeCallError)) throw err;
      breaker.failure(client.node);
      metrics.nodeCalls.inc({ node: client.node, call: 'poll', outcome: err.kind });
      if (start - lastHeard >= options.lostAfterMs) {
        return updates.fail(d.taskId, {
          code: 'node_lost',
          message: `${client.node} has not answered for ${start - lastHeard} ms`,
        });
      }
      await this.schedulePoll(d, client, n, lastHeard);
    }
  }

  private record(
    d: Dispatch,
    route: RouteEntry,
    at: number,
    outcome: TaskAttempt['outcome'],
    detail: string | null,
    call: string,
  ): void {
    d.attempts.push({ node: route.node, provider: route.provider, at, outcome, detail });
    this.deps.metrics.nodeCalls.inc({ node: route.node, call, outcome });
    this.deps.metrics.nodeCallSeconds.observe({ node: route.node, call }, (this.deps.clock.now() - at) / 1000);
  }
}

const HUNG = Symbol('hung');

function failure(d: Dispatch, code: TaskErrorCode, summary: string): TaskErrorView {
  const tried = d.attempts.map((a) => `${a.node} ${a.outcome}`).join(', ');
  return { code, message: tried ? `${summary}: ${tried}` : summary };
}
