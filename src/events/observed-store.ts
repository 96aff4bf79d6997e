import type { TaskRecord } from '../gateway/task.js';
import type {
  DeliveryRecord,
  FinishDelivery,
  JobMove,
  RateLimitPolicy,
  ScheduledJob,
  Store,
  TaskCreation,
  TaskFilter,
} from '../store/store.js';
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

  // Each write checks `listening` before it builds anything, so an idle dashboard allocates nothing.
  putTask(task: TaskRecord) {
    const p = this.inner.putTask(task);
    if (this.live.listening) p.then(() => this.live.taskWritten(task), ignore);
    return p;
  }
  createTask(c: TaskCreation) {
    const p = this.inner.createTask(c);
    if (this.live.listening)
      p.then((r) => {
        // A submit admitted in the same step counted its key's window there, as authorize would.
        if (r.admitted) this.live.rateHit(c.task.key, r.admitted.window);
        if (r.kind !== 'created') return;
        this.live.keyTouched(c.task.key);
        this.live.taskWritten(c.task);
      }, ignore);
    return p;
  }
  createKey(key: string, credits: number, webhookSecret: string, rateLimit: RateLimitPolicy, at: number) {
    const p = this.inner.createKey(key, credits, webhookSecret, rateLimit, at);
    if (this.live.listening) p.then(() => this.live.keyTouched(key), ignore);
    return p;
  }
  topUp(key: string, amount: number, at: number) {
    const p = this.inner.topUp(key, amount, at);
    if (this.live.listening) p.then(() => this.live.keyTouched(key), ignore);
    return p;
  }
  hold(key: string, taskId: string, amount: number, at: number) {
    const p = this.inner.hold(key, taskId, amount, at);
    if (this.live.listening) p.then(() => this.live.keyTouched(key), ignore);
    return p;
  }
  hitRateLimit(key: string, policy: RateLimitPolicy, now: number) {
    const p = this.inner.hitRateLimit(key, policy, now);
    if (this.live.listening) p.then((w) => this.live.rateHit(key, w), ignore);
    return p;
  }
  authorize(key: string, now: number) {
    const p = this.inner.authorize(key, now);
    if (this.live.listening) p.then((a) => a && this.live.rateHit(key, a.window), ignore);
    return p;
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
  claimIdempotency(scope: string, fingerprint: string, at: number, ttlMs: number, pendingTtlMs?: number) {
    return this.inner.claimIdempotency(scope, fingerprint, at, ttlMs, pendingTtlMs);
  }
  putShared(kind: string, id: string, json: string | null) {
    return this.inner.putShared(kind, id, json);
  }
  readShared(kind: string, since: number) {
    return this.inner.readShared(kind, since);
  }
  finishTask(done: TaskRecord, outcome: 'capture' | 'release', at: number, delivery?: FinishDelivery) {
    const p = this.inner.finishTask(done, outcome, at, delivery);
    if (this.live.listening) p.then((won) => won && this.live.taskWritten(done), ignore);
    return p;
  }
  generation() {
    return this.inner.generation();
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
  renewJobs(ids: readonly string[], until: number) {
    return this.inner.renewJobs(ids, until);
  }
  completeJob(id: string, next?: readonly ScheduledJob[], task?: TaskRecord) {
    const p = this.inner.completeJob(id, next, task);
    if (task && this.live.listening) p.then(() => this.live.taskWritten(task), ignore);
    return p;
  }
  groupJobs(group: string) {
    return this.inner.groupJobs(group);
  }
  moveJobs(moves: readonly JobMove[]) {
    return this.inner.moveJobs(moves);
  }
  pendingJobs() {
    return this.inner.pendingJobs();
  }
  resolveCreate(taskId: string) {
    return this.inner.resolveCreate(taskId);
  }
  stuckTasks(limit: number) {
    return this.inner.stuckTasks(limit);
  }
  orphanHolds(limit: number) {
    return this.inner.orphanHolds(limit);
  }
  lease(name: string, owner: string, ttlMs: number, now: number) {
    return this.inner.lease(name, owner, ttlMs, now);
  }
  readIdempotency(scope: string, at: number, ttlMs: number, pendingTtlMs: number) {
    return this.inner.readIdempotency(scope, at, ttlMs, pendingTtlMs);
  }
  idempotencyClaims() {
    return this.inner.idempotencyClaims();
  }
  rateWindows() {
    return this.inner.rateWindows();
  }
  close() {
    return this.inner.close();
  }
}
