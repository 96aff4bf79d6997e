import type { RouteEntry } from '../catalog/catalog-schema.js';
import type { TaskAttempt, TaskErrorView, TaskRecord } from '../gateway/task.js';
import type { BookRead, StoreBooking } from '../nodes/job-book.js';
import type { Job, JobRequest } from '../nodes/node-emulator.js';

/**
 * What routing reports about a task's job, and the only way it changes a task: the orchestrator
 * (`orchestrator.ts`) implements this and alone decides what each event does to the task.
 * Declared here, below both, so routing never imports the orchestrator.
 */
export interface TaskEvents {
  /** A node took the job (after `attempts`, the last of them the accepting one). */
  accepted(taskId: string, route: RouteEntry, attempts: TaskAttempt[], job: Job): Promise<void>;
  /**
   * The node's view of the job, however it came: a poll, a read-through on GET, or (issue 16) a
   * node pushing its state change. Answers the task as the event left it.
   */
  jobSeen(taskId: string, job: Job): Promise<TaskRecord | undefined>;
  /** The task cannot go on: no route took it, or its node lost it. */
  failed(taskId: string, error: TaskErrorView, attempts?: TaskAttempt[]): Promise<void>;
}

/** The first attempt's job as the create booked it on `node`: the attempt's answer, with no call of its own. */
export interface FirstBooked {
  node: string;
  read: BookRead;
}

/** What the orchestrator asks of routing (implemented by `routing/dispatcher.ts`). */
export interface TaskRouting<Next> {
  /**
   * Start routing a stored task: its first attempt runs before this resolves. `next`: where the
   * steps after it go (the stored first step's run); the routing's own scheduler if absent.
   */
  begin(
    taskId: string,
    model: string,
    job: JobRequest,
    routes: RouteEntry[],
    next?: Next,
    booked?: FirstBooked,
  ): Promise<void>;
  /**
   * The first attempt's booking for the store to make with the create (`TaskCreation.booking`),
   * when the first route's node keeps its jobs in the store and would take the call now.
   */
  firstBooking(job: JobRequest, routes: readonly RouteEntry[]): StoreBooking | undefined;
  /** Whether any of these routes could take a call now. */
  available(routes: readonly RouteEntry[]): boolean;
  msUntilAvailable(routes: readonly RouteEntry[]): number;
  /** The task's job as its node sees it now, or undefined (no node, a hung or unreachable one). */
  readJob(task: TaskRecord): Promise<Job | undefined>;
}
