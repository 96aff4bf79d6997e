import { randomUUID } from 'node:crypto';
import { isTerminal, type TaskRecord } from '../gateway/task.js';
import {
  copyDelivery,
  copyKey,
  freezeTask,
  HoldValues,
  matches,
  MemoryClaims,
  MemoryJobs,
  MemoryShared,
  type Hold,
} from './memory-parts.js';
import { MemoryLedger } from './memory-ledger.js';
import { DEFAULT_KEEP_FINISHED, Fifo, TaskOrder } from './memory-retention.js';
import type {
  Authorized,
  DeliveryRecord,
  FinishDelivery,
  TaskCreation,
  TaskCreated,
  TaskOutcome,
  JobMove,
  ScheduledJob,
  HoldResult,
  IdempotencyRecord,
  KeyRecord,
  LedgerEntry,
  LedgerKind,
  RateLimitPolicy,
  Store,
  TaskFilter,
  TaskPage,
} from './store.js';

/** A hold refused: HoldResult's failure. */
type Refused = Extract<HoldResult, { ok: false }>;

export interface MemoryStoreOptions {
  /** Freeze every task record stored, so code that edits one throws (tests turn it on). */
  freezeTasks?: boolean;
  /**
   * Finished tasks kept (the newest that many; default DEFAULT_KEEP_FINISHED): an older one is dropped with its
   * idempotency binding's task, so it reads as unknown. The ledger keeps its newest 3 × that many
   * entries. Running tasks and balances are never touched.
   */
  keepFinished?: number | undefined;
}

/**
 * The embedded store. Each method runs to completion without awaiting, so every operation is
 * atomic on Node's single thread. Records that change in place are copied in and out, as a remote
 * store would; task records are immutable values and are shared as they are.
 */
export class MemoryStore implements Store {
  private keys = new Map<string, KeyRecord>();
  /** Cut back to its newest 3 × keepFinished entries as it grows (O(1) amortized). */
  private entries: MemoryLedger;
  private holds = new Map<string, Hold>();
  private holdValues = new HoldValues();
  private tasks = new Map<string, TaskRecord>();
  /** Task ids in creation order, so a page of the newest copies only what it returns. */
  private taskOrder = new TaskOrder();
  /** Finished task ids in the order they finished: the oldest is dropped once more than `keepFinished` are. */
  private finished = new Fifo<string>();
  private readonly keepFinished: number;
  private claims = new MemoryClaims();
  private shared = new MemoryShared();
  private deliveries = new Map<string, DeliveryRecord>();
  private jobs = new MemoryJobs();
  /** Task ids resolveCreate found missing: a create of one of them that comes later is refused. (A created one is in `tasks`.) */
  private refusedCreates = new Set<string>();
  private readonly keep: (t: TaskRecord) => TaskRecord;

  constructor(options: MemoryStoreOptions = {}) {
    this.keep = options.freezeTasks ? freezeTask : (t) => t;
    this.keepFinished = options.keepFinished ?? DEFAULT_KEEP_FINISHED;
    this.entries = new MemoryLedger(3 * this.keepFinished);
  }

  private record(rec: KeyRecord, kind: LedgerKind, amount: number, taskId: string | null, at: number): void {
    // Entries carry the balance and held after them, so the newest ones alone still add up (ledgerTotals).
    this.entries.record(rec.key, kind, amount, taskId, rec.credits, rec.held, at);
  }

  async createKey(
    key: string,
    credits: number,
    webhookSecret: string,
    rateLimit: RateLimitPolicy,
    at: number,
  ): Promise<KeyRecord> {
    const rec: KeyRecord = { key, credits, held: 0, webhookSecret, rateLimit: { ...rateLimit } };
    this.keys.set(key, rec);
    this.record(rec, 'grant', credits, null, at);
    return copyKey(rec);
  }

  async getKey(key: string): Promise<KeyRecord | undefined> {
    const rec = this.keys.get(key);
    return rec && copyKey(rec);
  }

  async listKeys(): Promise<KeyRecord[]> {
    return [...this.keys.values()].map(copyKey);
  }

  async topUp(key: string, amount: number, at: number): Promise<KeyRecord | undefined> {
    const rec = this.keys.get(key);
    if (!rec) return undefined;
    rec.credits += amount;
    this.record(rec, 'topup', amount, null, at);
    return copyKey(rec);
  }

  async hold(key: string, taskId: string, amount: number, at: number): Promise<HoldResult> {
    const held = this.holdNow(key, taskId, amount, at);
    return 'reason' in held ? held : { ok: true, record: copyKey(held) };
  }

  /** The hold; held, the key as stored (not a copy: createTask reads nothing of it, and a copy is two objects a task). */
  private holdNow(key: string, taskId: string, amount: number, at: number): KeyRecord | Refused {
    const rec = this.keys.get(key);
    if (!rec) return { ok: false, reason: 'unknown_key', available: 0 };
    const available = rec.credits - rec.held;
    if (available < amount) return { ok: false, reason: 'insufficient', available };
    rec.held += amount;
    this.holds.set(taskId, this.holdValues.of(key, amount));
    this.record(rec, 'hold', amount, taskId, at);
    return rec;
  }

  async settle(taskId: string, outcome: 'capture' | 'release', at: number): Promise<boolean> {
    return this.settleNow(taskId, outcome, at);
  }

  private settleNow(taskId: string, outcome: 'capture' | 'release', at: number): boolean {
    const hold = this.holds.get(taskId);
    const rec = hold && this.keys.get(hold.key);
    if (!hold || !rec) return false;
    this.holds.delete(taskId);
    rec.held -= hold.amount;
    if (outcome === 'capture') rec.credits -= hold.amount;
    this.record(rec, outcome, hold.amount, taskId, at);
    return true;
  }

  async ledger(key?: string): Promise<LedgerEntry[]> {
    return this.entries.entries(key);
  }

  /** One synchronous block: nothing interleaves between its checks and its writes. */
  async createTask(c: TaskCreation): Promise<TaskCreated> {
    if (c.authorize === undefined) return this.create(c);
    const key = this.keys.get(c.task.key);
    if (!key) return { kind: 'unknown_key' };
    const admitted = { key, window: this.claims.hit(key.key, key.rateLimit, c.authorize) };
    if (admitted.window.count > key.rateLimit.requests) return { kind: 'limited', admitted };
    return { ...this.create(c), admitted };
  }

  private create(c: TaskCreation): TaskOutcome {
    const { task, at } = c;
    if (this.refusedCreates.has(task.id)) return { kind: 'refused' };
    if (c.deadline !== undefined && Date.now() > c.deadline) return { kind: 'refused' };
    const idem = c.idempotency;
    if (idem) {
      const prior = this.claims.live(idem.scope, at, idem.ttlMs, idem.pendingTtlMs);
      if (prior) return { kind: 'duplicate', record: prior };
    }
    const held = this.holdNow(task.key, task.id, task.held, at);
    if ('reason' in held)
      return held.reason === 'unknown_key' ? { kind: held.reason } : { kind: held.reason, available: held.available };
    if (!this.tasks.has(task.id)) this.taskOrder.push(task.id);
    this.tasks.set(task.id, this.keep(task));
    if (idem) {
      this.claims.prune(at, idem.ttlMs);
      this.claims.set(idem.scope, { fingerprint: idem.fingerprint, taskId: task.id, createdAt: at });
    }
    if (c.firstStep) this.jobs.schedule(c.firstStep.job, c.firstStep.leasedUntil);
    return { kind: 'created' };
  }

  async resolveCreate(taskId: string): Promise<boolean> {
    if (this.tasks.has(taskId)) return true;
    this.refusedCreates.add(taskId);
    return false;
  }

  async putTask(task: TaskRecord): Promise<void> {
    this.putLiveTask(task);
  }

  /** Store `task` unless it has ended (an end is final). */
  private putLiveTask(task: TaskRecord): void {
    const stored = this.tasks.get(task.id);
    if (stored && isTerminal(stored.status)) return;
    this.putTaskNow(task);
  }

  private putTaskNow(task: TaskRecord): void {
    if (!this.tasks.has(task.id)) this.taskOrder.push(task.id);
    this.tasks.set(task.id, this.keep(task));
  }

  async finishTask(
    done: TaskRecord,
    outcome: 'capture' | 'release',
    at: number,
    delivery?: FinishDelivery,
  ): Promise<boolean> {
    const stored = this.tasks.get(done.id);
    if (stored && (stored.status === 'COMPLETED' || stored.status === 'FAILED')) return false;
    // One synchronous block, as createTask: nothing interleaves with the check above (and no promise per part).
    this.settleNow(done.id, outcome, at);
    this.putTaskNow(done);
    if (delivery) {
      this.deliveries.set(delivery.record.id, copyDelivery(delivery.record));
      if (delivery.firstStep) this.jobs.schedule(delivery.firstStep);
    }
    this.retire(done.id);
    return true;
  }

  /** Keeps the newest `keepFinished` finished tasks: O(1) per finish, no scan. */
  private retire(id: string): void {
    this.finished.push(id);
    while (this.finished.size > this.keepFinished) {
      const old = this.finished.shift();
      const task = old === undefined ? undefined : this.tasks.get(old);
      if (old === undefined || !task || !isTerminal(task.status)) continue;
      this.tasks.delete(old);
      this.taskOrder.drop((t) => this.tasks.has(t));
    }
  }

  async getTask(id: string): Promise<TaskRecord | undefined> {
    return this.tasks.get(id);
  }

  async listTasks(filter: TaskFilter): Promise<TaskRecord[]> {
    const out: TaskRecord[] = [];
    for (const t of this.tasks.values()) if (matches(t, filter)) out.push(t);
    return out;
  }

  /** The cursor is a position in creation order: stable while tasks keep arriving. */
  async pageTasks(filter: TaskFilter, limit: number, cursor?: string): Promise<TaskPage | undefined> {
    const order = this.taskOrder;
    const from = cursor === undefined ? order.end : /^\d{1,15}$/.test(cursor) ? Number(cursor) : NaN;
    if (!(from <= order.end)) return undefined;
    const all = filter.status === undefined && filter.model === undefined && filter.key === undefined;
    const tasks: TaskRecord[] = [];
    const at = (i: number) => this.tasks.get(order.id(i) ?? '');
    let i = order.indexOf(from) - 1;
    for (; i >= 0 && tasks.length < limit; i--) {
      const t = at(i);
      if (t && matches(t, filter)) tasks.push(t);
    }
    let more = false;
    for (let j = i; j >= 0 && !more; j--) {
      const t = at(j);
      more = t !== undefined && matches(t, filter);
    }
    let total = this.tasks.size;
    if (!all) {
      total = 0;
      for (const t of this.tasks.values()) if (matches(t, filter)) total++;
    }
    // The next page starts at index i: every task created before the one there, plus it.
    return { tasks, total, next: more ? String(order.seq(i) + 1) : null };
  }

  async claimIdempotency(
    scope: string,
    fingerprint: string,
    at: number,
    ttlMs: number,
    pendingTtlMs: number = ttlMs,
  ): Promise<IdempotencyRecord | undefined> {
    return this.claims.claim(scope, fingerprint, at, ttlMs, pendingTtlMs);
  }

  async bindIdempotency(scope: string, taskId: string): Promise<void> {
    this.claims.bind(scope, taskId);
  }

  async dropIdempotency(scope: string): Promise<void> {
    this.claims.drop(scope);
  }

  async putDelivery(delivery: DeliveryRecord): Promise<void> {
    this.deliveries.set(delivery.id, copyDelivery(delivery));
  }

  async getDelivery(id: string): Promise<DeliveryRecord | undefined> {
    const d = this.deliveries.get(id);
    return d && copyDelivery(d);
  }

  async listDeliveries(taskId?: string): Promise<DeliveryRecord[]> {
    return [...this.deliveries.values()].filter((d) => taskId === undefined || d.task_id === taskId).map(copyDelivery);
  }

  async scheduleJob(job: ScheduledJob): Promise<void> {
    this.jobs.schedule(job);
  }

  async claimDueJobs(now: number, limit: number, leaseMs: number): Promise<ScheduledJob[]> {
    return this.jobs.claimDue(now, limit, leaseMs);
  }

  async completeJob(id: string, next: readonly ScheduledJob[] = [], task?: TaskRecord): Promise<void> {
    this.jobs.complete(id);
    for (const job of next) this.jobs.schedule(job);
    if (task) this.putLiveTask(task);
  }

  async renewJobs(ids: readonly string[], until: number): Promise<void> {
    this.jobs.renew(ids, until);
  }

  groupJobs = async (group: string) => this.jobs.group(group);
  moveJobs = async (moves: readonly JobMove[]) => moves.filter((m) => this.jobs.move(m.job, m.fromDue)).length;

  async pendingJobs(): Promise<number> {
    return this.jobs.size;
  }

  async stuckTasks(limit: number): Promise<string[]> {
    const moving = this.jobs.tasksWithSteps();
    const out: string[] = [];
    for (const t of this.tasks.values()) {
      if (out.length >= limit) break;
      if (!isTerminal(t.status) && !t.fixture && !moving.has(t.id)) out.push(t.id);
    }
    return out;
  }

  async orphanHolds(limit: number): Promise<string[]> {
    return [...this.holds.keys()].filter((id) => !this.tasks.has(id)).slice(0, limit);
  }

  // Claims, windows, leases and shared collections live in memory-parts.ts.
  lease = async (name: string, owner: string, ttlMs: number, now: number) => this.claims.lease(name, owner, ttlMs, now);
  idempotencyClaims = async () => this.claims.all();
  readIdempotency = async (scope: string, at: number, ttlMs: number, pendingTtlMs: number) =>
    this.claims.live(scope, at, ttlMs, pendingTtlMs);
  rateWindows = async () => this.claims.windows();
  hitRateLimit = async (key: string, policy: RateLimitPolicy, now: number) => this.claims.hit(key, policy, now);
  /**
   * getKey and hitRateLimit in one step, with the key as stored rather than a copy (the copy was
   * two objects per request): the gateway reads only its name and rate policy, which nothing here
   * changes in place (credits and held do, and it never reads those from it). Callers must not
   * write to it.
   */
  authorize = async (key: string, now: number): Promise<Authorized | undefined> => {
    const rec = this.keys.get(key);
    return rec && { key: rec, window: this.claims.hit(key, rec.rateLimit, now) };
  };
  putShared = async (kind: string, id: string, json: string | null) => this.shared.put(kind, id, json);
  readShared = async (kind: string, since: number) => this.shared.read(kind, since);

  /** A new value after each reset, as a wiped shared store would give. */
  private marker: string | undefined;

  async generation(): Promise<string> {
    return (this.marker ??= randomUUID());
  }

  async reset(): Promise<void> {
    this.marker = undefined;
    this.shared.clear();
    this.keys.clear();
    this.entries.clear();
    this.holds.clear();
    this.holdValues.clear();
    this.tasks.clear();
    this.taskOrder.clear();
    this.finished.clear();
    this.claims.clear();
    this.deliveries.clear();
    this.jobs.clear();
    this.refusedCreates.clear();
  }

  async close(): Promise<void> {}
}
