import type { TaskRecord } from '../gateway/task.js';

/**
 * A task as the scripts' putLiveTask takes it, in ARGV order: id, record JSON, meta JSON
 * ([status, model, key], the filter indexes' entry), status, model, key.
 */
export function taskArgs(task: TaskRecord): [string, string, string, string, string, string] {
  return [
    task.id,
    JSON.stringify(task),
    JSON.stringify([task.status, task.model, task.key]),
    task.status,
    task.model,
    task.key,
  ];
}
