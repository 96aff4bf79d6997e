import type { TaskRecord } from '../gateway/task.js';
import type { DeliveryRecord, RateLimitPolicy, ScheduledJob, Store, TaskFilter } from '../store/store.js';
import type { LiveEvents } from './live-events.js';

const ignore = () => undefined;

/**
 * A store that tells open dashboards what changed. Every call goes straight through; only when a
 * page listens does a write also report itself (after it succeeded), so with no page open the
 * cost is one property read per write.
 */
export class ObservedStore implements Store {
  constructor(
    readonly inner: Store,
    private readonly live: LiveEvents,
  ) {}

  private after<T>(p: Promise<T>, report: (v: T) => void): Promise<T> {
    if (this.live.listening) p.then(report, ignore);
    return p;
  }

  putTask(task: TaskRecord) {
    return this.after(this.inner.putTask(task), () => this.live.taskWritten(task));
  }
  createKey(key: string, credits: number, webhookSecret: string, rateLimit: RateLimitPolicy, at: number) {
    return this.after(this.inner.createKey(key, credits, webhookSecret, rateLimit, at), () => this.live.keyTouched(key));
  }
  topUp(key: string, amount: number, at: number) {
    return this.after(this.inner.topUp(key, amount, at), () => this.live.keyTouched(key));
  }
  hold(key: string, taskId: string, amount: number, at: number) {
    return this.after(this.inner.hold(key, taskId, amount, at), () => this.live.keyTouched(key));
  }
  hitRateLimit(key: string, policy: RateLimitPolicy, now: number) {
    return this.after(this.inner.hitRateLimit(key, policy, now), (w) => this.live.rateHit(key, w));
  }
  reset() {
    return this.inner.reset().then(() => this.live.storeReset());
  }

  // Reads, and writes no page shows as such (a settle shows in its task; webhook records are read on demand).
  getKey(key: string) {
    return this.inner.getKey(key);
  }
  listKeys() {
    return this.inner.listKeys();
  }
  settle(taskId: string, outcome: 'capture' | 'release', at: number) {
    return this.inner.settle(taskId, outcome, at);
  }
  ledger(key?: string) {
    return this.inner.ledger(key);
  }
  getTask(id: string) {
    return this.inner.getTask(id);
  }
  listTasks(filter: TaskFilter) {
    return this.inner.listTasks(filter);
  }
  pageTasks(filter: TaskFilter, limit: number, cursor?: string) {
    return this.inner.pageTasks(filter, limit, cursor);
  }
  claimIdempotency(scope: string, fingerprint: string, at: number, ttlMs: number) {
    return this.inner.claimIdempotency(scope, fingerprint, at, ttlMs);
  }
  bindIdempotency(scope: string, taskId: string) {
    return this.inner.bindIdempotency(scope, taskId);
  }
  dropIdempotency(scope: string) {
    return this.inner.dropIdempotency(scope);
  }
  putDelivery(delivery: DeliveryRecord) {
    return this.inner.putDelivery(delivery);
  }
  getDelivery(id: string) {
    return this.inner.getDelivery(id);
  }
  listDeliveries(taskId?: string) {
    return this.inner.listDeliveries(taskId);
  }
  scheduleJob(job: ScheduledJob) {
    return this.inner.scheduleJob(job);
  }
  claimDueJobs(now: number, limit: number, leaseMs: number) {
    return this.inner.claimDueJobs(now, limit, leaseMs);
  }
  completeJob(id: string) {
    return this.inner.completeJob(id);
  }
  pendingJobs() {
    return this.inner.pendingJobs();
  }
  close() {
    return this.inner.close();
  }
}
