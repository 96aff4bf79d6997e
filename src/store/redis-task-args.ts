import type { TaskRecord } from '../gateway/task.js';

/** A task's meta JSON, [status, model, key]: its filter indexes' entry (the scripts compare it as a string). */
export function taskMeta(task: TaskRecord): string {
  return JSON.stringify([task.status, task.model, task.key]);
}

/**
 * A task as the scripts' putLiveTask takes it, in ARGV order: id, record JSON, meta JSON, status,
 * model, key.
 */
export function taskArgs(task: TaskRecord): [string, string, string, string, string, string] {
  return [task.id, JSON.stringify(task), taskMeta(task), task.status, task.model, task.key];
}
