import { taskView, type TaskRecord } from './task.js';

/**
 * The JSON of recently read tasks' views, by task id. A task record is an immutable value (a
 * change is a new record), so a poll that gets the same record back as the last one (a task in
 * flight that has not moved, or a finished one) reuses the text instead of building and
 * serializing the view again. Bounded: past `limit` tasks the oldest entry goes.
 */
export class TaskViewCache {
  private readonly entries = new Map<string, { task: TaskRecord; baseUrl: string; json: string }>();

  constructor(private readonly limit = 1024) {}

  /** `JSON.stringify(taskView(task, baseUrl))`, from the cache when the record and base URL are the ones cached. */
  json(task: TaskRecord, baseUrl: string): string {
    const hit = this.entries.get(task.id);
    if (hit && hit.task === task && hit.baseUrl === baseUrl) return hit.json;
    const json = JSON.stringify(taskView(task, baseUrl));
    if (hit) {
      this.entries.delete(task.id); // set again below, as the newest
    } else if (this.entries.size >= this.limit) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(task.id, { task, baseUrl, json });
    return json;
  }
}
