import type { TaskErrorCode, TaskErrorView, TaskStatus } from '../gateway/task.js';
import type { Job } from '../nodes/node-emulator.js';

const STATUS: Record<Job['state'], TaskStatus> = {
  queued: 'IN_QUEUE',
  running: 'IN_PROGRESS',
  succeeded: 'COMPLETED',
  failed: 'FAILED',
};

/** The task status a node's job state means. */
export const statusOf = (state: Job['state']): TaskStatus => STATUS[state];

const isTaskErrorCode = (codes: ReadonlySet<string>, code: string): code is TaskErrorCode => codes.has(code);

/** A node's failure as a task error; a code the spec does not list (a real node's own) becomes provider_error. */
export function taskErrorOf(job: Job, errorCodes: ReadonlySet<string>): TaskErrorView {
  if (!job.error) return { code: 'provider_error', message: 'the node reported a failure' };
  const { type, detail } = job.error;
  return isTaskErrorCode(errorCodes, type)
    ? { code: type, message: detail }
    : { code: 'provider_error', message: `${type}: ${detail}` };
}
