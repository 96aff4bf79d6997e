import { errors } from '../gateway/errors.js';
import { isTerminal, type TaskRecord } from '../gateway/task.js';
import type { Store } from '../store/store.js';

const SHARED_WAIT_POLL_MS = 25;

interface Waiter {
  resolve: (task: TaskRecord) => void;
  reject: (err: Error) => void;
}

/** Requests waiting for a sync task (cogview-4) to finish, woken by the orchestrator. */
export class SyncWaiters {
  private readonly byTask = new Map<string, Waiter[]>();

  constructor(
    private readonly store: Store,
    /** Other instances share the store: a task may finish elsewhere, so watch the store too. */
    private readonly sharedStore: boolean,
  ) {}

  /** Resolve when the task is COMPLETED or FAILED. */
  async settled(id: string): Promise<TaskRecord> {
    const result = new Promise<TaskRecord>((resolve, reject) => {
      const list = this.byTask.get(id) ?? [];
      list.push({ resolve, reject });
      this.byTask.set(id, list);
    });
    const now = await this.store.getTask(id);
    if (now && isTerminal(now.status)) {
      this.byTask.delete(id);
      return now;
    }
    if (this.sharedStore) this.watch(id);
    return result;
  }

  /** The task finished: answer everyone waiting for it. */
  wake(task: TaskRecord): void {
    for (const w of this.byTask.get(task.id) ?? []) w.resolve(task);
    this.byTask.delete(task.id);
  }

  private watch(id: string): void {
    const timer = setInterval(() => {
      if (!this.byTask.has(id)) return clearInterval(timer);
      void this.store.getTask(id).then(
        (t) => {
          if (!t || !isTerminal(t.status)) return;
          clearInterval(timer);
          this.wake(t);
        },
        () => undefined,
      );
    }, SHARED_WAIT_POLL_MS);
    timer.unref();
  }

  /** Answer every waiting request 503 (the simulator is resetting or stopping). */
  abandon(): void {
    for (const list of this.byTask.values()) {
      for (const w of list)
        w.reject(errors.unavailable('The simulator was reset or stopped while this request waited for its task'));
    }
    this.byTask.clear();
  }
}
