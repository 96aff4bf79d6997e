import type { RouteEntry } from '../catalog/catalog-schema.js';
import type { Clock } from '../clock/clock.js';
import type { StepScheduler } from '../clock/steps.js';
import type { TaskAttempt } from '../gateway/task.js';
import type { Metrics } from '../metrics/metrics.js';
import type { NodeClient } from '../nodes/node-client.js';
import type { JobRequest } from '../nodes/node-emulator.js';
import type { TaskEvents } from '../tasks/task-events.js';
import type { CircuitBreaker } from './circuit-breaker.js';
import type { NodeFaults } from './poll-timing.js';

/** Routing's options, step payloads and parts (the dispatcher and its quiet-tick skips share them). */

export interface RoutingOptions {
  /** Submit attempts per task, across its routes. */
  maxAttempts: number;
  /** Wait before attempt n (n ≥ 2): backoffMs × 2^(n−2). */
  backoffMs: number;
  /** Gateway → node polls after a job is accepted, then the last delay repeats. */
  pollMs: number[];
  /** A job whose node has not answered a poll for this long is given up as lost. */
  lostAfterMs: number;
  /** Real ms a poll of a node over HTTP waits at least on the real clock, whatever the time scale. */
  httpPollFloorMs: number;
  /** Ask in-process nodes when a job next changes, instead of reading it at every tick (off on a shared store). */
  jobChanges: boolean;
}

/** Routing's step kinds and their payloads: plain data, so a shared store can hand them to any instance. */
export interface RoutingSteps {
  'dispatch.attempt': DispatchState;
  'dispatch.poll': PollState;
}

export interface DispatcherDeps {
  clock: Clock;
  clients: ReadonlyMap<string, NodeClient>;
  breaker: CircuitBreaker;
  metrics: Metrics;
  options: RoutingOptions;
  /** Where every outcome goes: the orchestrator, which owns the task. */
  events: TaskEvents;
  steps: StepScheduler<RoutingSteps>;
  /** The faults in force on a node: a tick while one is in force reads the node, as polling did. */
  faults: NodeFaults;
}

/**
 * A poll step: the task, the job's node, how many polls came before, when the node last answered,
 * and when the node said the job next changes (null: unknown, read it at every tick). It keeps
 * ids, not the dispatch: once a node has the job, its request and routes are needed no more.
 */
export interface PollState {
  taskId: string;
  node: string;
  pollsDone: number;
  lastHeardAt: number;
  quietUntil: number | null;
  /** When this tick was due: on the real clock a late timer may fire after the change, before the node's own timer. */
  due: number;
  /** A stored step that stands for skipped quiet ticks: the first one it skipped (a wake counts from there). */
  skipped?: Pick<PollState, 'due' | 'pollsDone' | 'lastHeardAt'>;
}

/** A task being routed; the task's own record stays in the store, owned by the orchestrator. */
export interface DispatchState {
  /** The task's id (its record lives in the store: a step keeps no copy of it). */
  taskId: string;
  job: JobRequest;
  model: string;
  routes: RouteEntry[];
  attempts: TaskAttempt[];
  /** Index into routes of the next route to consider. */
  cursor: number;
}
