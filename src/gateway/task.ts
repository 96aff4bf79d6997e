import type { components } from '../generated/gateway.js';

export type TaskStatus = components['schemas']['TaskStatus'];
export type TaskView = components['schemas']['Task'];
export type TaskErrorView = components['schemas']['TaskError'];
/** Every code a FAILED task can carry: the spec's `TaskErrorCode` enum, the one list of them. */
export type TaskErrorCode = components['schemas']['TaskErrorCode'];
export type TaskAttempt = components['schemas']['TaskAttempt'];

/** The statuses a task never leaves. */
export type TerminalStatus = Extract<TaskStatus, 'COMPLETED' | 'FAILED'>;

/** Whether a task has reached a status it never leaves (a string: the load generator reads real gateways too). */
export const isTerminal = (status: string): status is TerminalStatus => status === 'COMPLETED' || status === 'FAILED';

/**
 * A task as the store keeps it: an immutable value (a change is a new record, `{ ...task, status }`),
 * so stores and readers share it without copying. Times are the simulator clock's epoch milliseconds.
 */
export type TaskRecord = Readonly<TaskFields>;
/** The fields of a task record; use `TaskRecord`, which makes them all read-only. */
export interface TaskFields {
  id: string;
  /** The API key that created it; nobody else can see it. */
  key: string;
  model: string;
  subModel: string;
  node: string;
  provider: string;
  status: TaskStatus;
  /** 1 for the next job to start on its node; null unless waiting there. */
  queuePosition: number | null;
  /** Every submit to a node, in order; the last accepted one is the node serving the task. */
  attempts: readonly Readonly<TaskAttempt>[];
  createdAt: number;
  startedAt: number | null;
  completedAt: number | null;
  width: number;
  height: number;
  numImages: number;
  /** Seeds the pixels of the task's images. */
  imageSeed: number;
  /**
   * The secret part of its image URLs (see images/image-token.ts): set when the task completes,
   * where its URLs first appear, so a submit does not pay for the HMAC; null before and on FAILED.
   */
  imageToken: string | null;
  error: Readonly<TaskErrorView> | null;
  held: number;
  charged: number;
  callbackUrl: string | null;
  /** Made by `POST /_sim/tasks`: it stays in its status (no node is asked about it). */
  fixture?: boolean;
}

// ISO times of one second share all but their milliseconds: the second's prefix is formatted once
// (a task's created_at and started_at, and the tasks made in that second, reuse it), and the rest
// is a lookup. Years outside 0000-9999 (a 27-character form) are formatted whole.
let prefixSecond = NaN;
let prefix = '';
const MILLIS = Array.from({ length: 1000 }, (_, ms) => `${String(ms).padStart(3, '0')}Z`);
function isoOf(time: number): string {
  const ms = Math.trunc(time); // as Date takes a time: a fraction of a millisecond is dropped
  const second = Math.floor(ms / 1000);
  if (second !== prefixSecond) {
    const whole = new Date(second * 1000).toISOString();
    if (whole.length !== 24) return new Date(ms).toISOString();
    prefix = whole.slice(0, 20);
    prefixSecond = second;
  }
  return prefix + MILLIS[ms - second * 1000]!;
}

const iso = (ms: number | null): string | null => (ms === null ? null : isoOf(ms));

export const imagePath = (task: { id: string; imageToken: string | null }, index: number): string =>
  `/files/${task.id}/${task.imageToken}/${index}.png`;

/** The public shape of a task (schema `Task`); image URLs are absolute on `baseUrl`. */
export function taskView(task: TaskRecord, baseUrl: string): TaskView {
  return {
    task_id: task.id,
    status: task.status,
    model: task.model,
    sub_model: task.subModel,
    node: task.node,
    provider: task.provider,
    queue_position: task.queuePosition,
    attempts: task.attempts.slice(),
    created_at: isoOf(task.createdAt),
    started_at: iso(task.startedAt),
    completed_at: iso(task.completedAt),
    output:
      task.status === 'COMPLETED'
        ? {
            images: Array.from({ length: task.numImages }, (_, i) => ({
              url: baseUrl + imagePath(task, i),
              width: task.width,
              height: task.height,
            })),
          }
        : null,
    error: task.error,
    credits_held: task.held,
    credits_charged: task.charged,
  };
}
