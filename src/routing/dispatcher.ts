import type { RouteEntry } from '../catalog/catalog-schema.js';
import type { TaskAttempt, TaskErrorCode, TaskErrorView, TaskRecord } from '../gateway/task.js';
import { isTerminal } from '../gateway/task.js';
import type { Job, JobRequest } from '../nodes/node-emulator.js';
import { NodeCallError, type CallHooks, type NodeClient } from '../nodes/node-client.js';
import { nextPollAt } from './poll-timing.js';
import { QuietSkips } from './quiet-polls.js';
import type { DispatcherDeps, DispatchState, PollState, RoutingSteps } from './routing-types.js';
import type { NextSteps } from '../clock/steps.js';
import type { FirstBooked, TaskRouting } from '../tasks/task-events.js';
import type { StoreBooking } from '../nodes/job-book.js';

export type { DispatcherDeps, DispatchState, PollState, RoutingOptions, RoutingSteps } from './routing-types.js';

/**
 * Routes each task to provider nodes: tries its routes in order, skipping nodes whose circuit
 * is open, with bounded attempts and exponential backoff; then polls the accepting node until
 * the job ends. Every step goes through the step scheduler: on the simulator clock its callback
 * returns the step's own I/O, so the manual clock's advance() waits for all of it; on a shared
 * store any instance may run it.
 */
export class Dispatcher implements TaskRouting<NextSteps<RoutingSteps>> {
  /** Stored steps skip quiet ticks (clock timers cost nothing to keep, and keep their order). */
  private readonly skips: QuietSkips | undefined;

  constructor(private readonly deps: DispatcherDeps) {
    deps.steps.on('dispatch.attempt', (dispatch, next) => this.step((hooks) => this.attempt(dispatch, hooks, next)));
    // A quiet tick calls no node: it only schedules the next, with no call hooks or promises to wait on.
    deps.steps.on('dispatch.poll', (poll, next) =>
      this.quiet(poll) ? this.quietTick(poll, next) : this.step((hooks) => this.poll(poll, hooks, next)),
    );
    this.skips = deps.steps.wake ? new QuietSkips(deps) : undefined;
  }

  /**
   * Start routing a task: the first attempt runs now, inside the submit, so the create answer
   * shows what the node did with the job (IN_PROGRESS when it started it at once, as the docs'
   * example). A node that hangs lets the submit answer at once; the rest goes on as steps. Should
   * the attempt itself break (the store, say), it is left to a step, as every later one is.
   * `next`: where the steps that follow are scheduled (the stored first step's run, if any);
   * `booked`: the first route's job as the create booked it (`firstBooking`).
   */
  async begin(
    taskId: string,
    model: string,
    job: JobRequest,
    routes: RouteEntry[],
    next: NextSteps<RoutingSteps> = this.deps.steps,
    booked?: FirstBooked,
  ): Promise<void> {
    const dispatch: DispatchState = { taskId, job, model, routes, attempts: [], cursor: 0 };
    try {
      await this.deps.clock.exclusive(() => this.step((hooks) => this.attempt(dispatch, hooks, next, booked)));
    } catch {
      await next.at(this.deps.clock.now(), 'dispatch.attempt', { ...dispatch, attempts: [], cursor: 0 });
    }
  }

  /**
   * The first route's booking, for the create to make: only while its circuit is closed (the
   * attempt would go there, and a half-open probe is taken by a call) and its node would book
   * the job in the store now (no fault known; see `NodeService.prepareJob`).
   */
  firstBooking(job: JobRequest, routes: readonly RouteEntry[]): StoreBooking | undefined {
    const route = routes[0];
    if (!route || this.deps.breaker.state(route.node) !== 'closed') return undefined;
    const reservation = this.deps.clients.get(route.node)?.booking?.prepare(job);
    return reservation && { node: route.node, reservation };
  }

  /** Whether any route of these could take a call now (else the submit is refused with 503). */
  available(routes: readonly RouteEntry[]): boolean {
    return this.deps.breaker.anyAvailable(routes.map((r) => r.node));
  }

  msUntilAvailable(routes: readonly RouteEntry[]): number {
    return this.deps.breaker.msUntilAvailable(routes.map((r) => r.node));
  }

  /** Ask a task's node for the job now (read-through on GET); undefined if there is none to ask. */
  async readJob(task: TaskRecord): Promise<Job | undefined> {
    const client =
      !task.fixture && task.attempts.some((a) => a.outcome === 'accepted')
        ? this.deps.clients.get(task.node)
        : undefined;
    if (!client) return undefined;
    try {
      // A hung node is no reason to hold the reader: the stored task is the answer then.
      const job = await new Promise<Job | undefined | typeof HUNG>((resolve, reject) => {
        client.getJob(task.id, { onHung: () => resolve(HUNG) }).then(resolve, reject);
      });
      return job === HUNG ? undefined : job;
    } catch {
      return undefined; // the background poll deals with an unreachable node
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

  private nextRoute(dispatch: DispatchState): RouteEntry | undefined {
    const { routes } = dispatch;
    for (let i = 0; i < routes.length; i++) {
      const route = routes[(dispatch.cursor + i) % routes.length];
      if (route && this.deps.breaker.tryPass(route.node)) {
        dispatch.cursor = (dispatch.cursor + i + 1) % routes.length;
        return route;
      }
    }
    return undefined;
  }

  private client(node: string): NodeClient {
    const client = this.deps.clients.get(node);
    if (!client) throw new Error(`no node client for ${node}`);
    return client;
  }

  /**
   * The route the create booked the job on: the first, as `nextRoute` took it when the booking
   * was prepared (its circuit was closed then; the call is made, so it is not asked again).
   */
  private bookedRoute(dispatch: DispatchState, booked: FirstBooked): RouteEntry | undefined {
    const route = dispatch.routes[0];
    if (route?.node !== booked.node) return undefined;
    dispatch.cursor = 1 % dispatch.routes.length;
    return route;
  }

  private async attempt(
    dispatch: DispatchState,
    hooks: CallHooks,
    next: NextSteps<RoutingSteps>,
    booked?: FirstBooked,
  ): Promise<void> {
    const { clock, breaker, metrics, options, events } = this.deps;
    const { taskId, attempts } = dispatch;
    const bookedRoute = booked && this.bookedRoute(dispatch, booked);
    const route = bookedRoute ?? this.nextRoute(dispatch);
    if (!route)
      return events.failed(
        taskId,
        failure(dispatch, 'no_route_available', 'every route of this model has an open circuit'),
        attempts,
      );
    const previous = attempts.at(-1);
    // A retry on the same node (a model with one route) moves nothing: no failover.
    if (previous && previous.node !== route.node)
      metrics.failovers.inc({ model: dispatch.model, from: previous.node, to: route.node });
    const client = this.client(route.node);
    const at = clock.now();
    try {
      const answer = bookedRoute && booked && client.booking?.answer(booked.read);
      const job = answer ?? (await client.submit(dispatch.job, hooks));
      breaker.success(route.node);
      this.record(dispatch, route, at, 'accepted', null, 'submit');
      await events.accepted(taskId, route, attempts, job);
      if (job.state !== 'succeeded' && job.state !== 'failed')
        await this.schedulePoll(next, taskId, client, 0, at, await this.nextChange(client, taskId));
    } catch (err) {
      if (!(err instanceof NodeCallError)) throw err;
      breaker.failure(route.node);
      this.record(dispatch, route, at, err.kind, err.message, 'submit');
      if (err.kind === 'rejected' || attempts.length >= options.maxAttempts) {
        return events.failed(taskId, failure(dispatch, 'provider_unavailable', `no node accepted the task`), attempts);
      }
      const wait = options.backoffMs * 2 ** (attempts.length - 1);
      await next.at(clock.now() + Math.max(1, wait), 'dispatch.attempt', dispatch);
    }
  }

  /** When the node says the job next changes, if it can say (an in-process node, on one instance). */
  private async nextChange(client: NodeClient, taskId: string): Promise<number | null> {
    if (!this.deps.options.jobChanges || !client.changes) return null;
    return (await client.changes.nextChangeAt(taskId)) ?? null;
  }

  /**
   * Schedule the next poll. `done` is the poll step that just ran, if any: its payload is
   * rewritten in place as the next one (a stored step's was parsed for this run alone; a clock
   * step's is this task's only), so a tick allocates no new state: with 100k tasks in flight a
   * state per tick lives one poll gap, long enough to be promoted, and would fill the old space
   * with garbage between full collections (that, not the live heap, is most of the RSS).
   */
  private schedulePoll(
    next: NextSteps<RoutingSteps>,
    taskId: string,
    client: NodeClient,
    pollsDone: number,
    lastHeardAt: number,
    quietUntil: number | null,
    done?: PollState,
  ): Promise<void> {
    const { clock, options } = this.deps;
    const due = nextPollAt(clock, options, client.transport, pollsDone);
    let poll = reusable(done);
    if (poll) {
      poll.pollsDone = pollsDone + 1;
      poll.lastHeardAt = lastHeardAt;
      poll.quietUntil = quietUntil;
      poll.due = due;
    } else poll = { taskId, node: client.node, pollsDone: pollsDone + 1, lastHeardAt, quietUntil, due };
    if (quietUntil !== null && due < quietUntil && this.skips?.canSkip(client))
      return this.skips.skip(next, poll, quietUntil);
    return next.at(due, 'dispatch.poll', poll);
  }

  /**
   * A tick that would read what the node already said (no change due yet, no fault in force on
   * the node, its circuit clean): the answer is known, so nothing is asked and nothing stored;
   * the tick only keeps the schedule, so the change is seen at the tick polling would see it.
   */
  private quiet({ node, quietUntil, due }: PollState): boolean {
    const { breaker, faults } = this.deps;
    return quietUntil !== null && due < quietUntil && breaker.clean(node) && faults.active(node).length === 0;
  }

  /** A quiet tick: the node is heard from (what it said stands) and the next tick is scheduled. */
  private quietTick(state: PollState, next: NextSteps<RoutingSteps>): Promise<void> {
    const { taskId, node, pollsDone, quietUntil } = state;
    return this.schedulePoll(next, taskId, this.client(node), pollsDone, this.deps.clock.now(), quietUntil, state);
  }

  private async poll(state: PollState, hooks: CallHooks, next: NextSteps<RoutingSteps>): Promise<void> {
    const { clock, breaker, metrics, options, events } = this.deps;
    const { taskId, node, pollsDone, lastHeardAt } = state;
    const client = this.client(node);
    const start = clock.now();
    if (this.quiet(state)) return this.quietTick(state, next);
    try {
      const job = await client.getJob(taskId, hooks);
      breaker.success(node);
      metrics.nodeCalls.inc({ node, call: 'poll', outcome: job ? 'ok' : 'not_found' });
      if (!job) return events.failed(taskId, { code: 'node_lost', message: `${node} no longer knows this job` });
      const task = await events.jobSeen(taskId, job);
      if (task && !isTerminal(task.status))
        await this.schedulePoll(next, taskId, client, pollsDone, start, await this.nextChange(client, taskId), state);
    } catch (err) {
      if (!(err instanceof NodeCallError)) throw err;
      breaker.failure(node);
      metrics.nodeCalls.inc({ node, call: 'poll', outcome: err.kind });
      const silentMs = start - lastHeardAt;
      if (silentMs >= options.lostAfterMs) {
        return events.failed(taskId, { code: 'node_lost', message: `${node} has not answered for ${silentMs} ms` });
      }
      await this.schedulePoll(next, taskId, client, pollsDone, lastHeardAt, null, state);
    }
  }

  private record(
    dispatch: DispatchState,
    route: RouteEntry,
    at: number,
    outcome: TaskAttempt['outcome'],
    detail: string | null,
    call: string,
  ): void {
    dispatch.attempts.push({ node: route.node, provider: route.provider, at, outcome, detail });
    this.deps.metrics.nodeCalls.inc({ node: route.node, call, outcome });
    this.deps.metrics.nodeCallSeconds.observe({ node: route.node, call }, (this.deps.clock.now() - at) / 1000);
  }
}

const HUNG = Symbol('hung');

/** A poll state that ran and may be rewritten as the next: not one standing for skipped ticks (the next stands for none). */
const reusable = (done: PollState | undefined): PollState | undefined =>
  done && done.skipped === undefined ? done : undefined;

function failure(dispatch: DispatchState, code: TaskErrorCode, summary: string): TaskErrorView {
  const tried = dispatch.attempts.map((a) => `${a.node} ${a.outcome}`).join(', ');
  return { code, message: tried ? `${summary}: ${tried}` : summary };
}
