import { randomUUID } from 'node:crypto';
import type { TaskRecord } from '../gateway/task.js';
import type {
  DeliveryRecord,
  ScheduledJob,
  SharedSnapshot,
  HoldResult,
  IdempotencyRecord,
  KeyRecord,
  LedgerEntry,
  LedgerKind,
  RateLimitPolicy,
  RateWindow,
  Store,
  TaskFilter,
  TaskPage,
} from './store.js';

// Key and delivery records change in place here, so they are copied in and out (rateLimit, attempts too).
const copyKey = (r: KeyRecord): KeyRecord => ({ ...r, rateLimit: { ...r.rateLimit } });
/**
 * Task records are values: every writer builds a new one (`{ ...task, status }`) and none changes
 * one it holds, so the store keeps and hands out the caller's object, copying nothing. Freezing it
 * (and what it points to) makes a writer that breaks the rule throw. It costs about what the copy
 * did (1–2 µs a record here), so only tests ask for it (`freezeTasks`).
 */
function freezeTask(t: TaskRecord): TaskRecord {
  if (Object.isFrozen(t)) return t;
  if (t.error) Object.freeze(t.error);
  if (!Object.isFrozen(t.attempts)) {
    for (const a of t.attempts) Object.freeze(a);
    Object.freeze(t.attempts);
  }
  return Object.freeze(t);
}
const matches = (t: TaskRecord, f: TaskFilter): boolean =>
  (f.status === undefined || t.status === f.status) &&
  (f.model === undefined || t.model === f.model) &&
  (f.key === undefined || t.key === f.key);
const copyDelivery = (d: DeliveryRecord): DeliveryRecord => ({ ...d, attempts: d.attempts.map((a) => ({ ...a })) });

export interface MemoryStoreOptions {
  /** Freeze every task record stored, so code that edits one throws (tests turn it on). */
  freezeTasks?: boolean;
}

/**
 * The embedded store. Each method runs to completion without awaiting, so every operation is
 * atomic on Node's single thread. Records that change in place are copied in and out, as a remote
 * store would; task records are immutable values and are shared as they are.
 */
export class MemoryStore implements Store {
  private keys = new Map<string, KeyRecord>();
  private entries: LedgerEntry[] = [];
  private holds = new Map<string, { key: string; amount: number }>();
  private tasks = new Map<string, TaskRecord>();
  /** Task ids in creation order, so a page of the newest copies only what it returns. */
  private taskOrder: string[] = [];
  private idempotency = new Map<string, IdempotencyRecord>();
  private windows = new Map<string, RateWindow>();
  private deliveries = new Map<string, DeliveryRecord>();
  private jobs = new Map<string, { job: ScheduledJob; leasedUntil: number | null }>();
  private readonly keep: (t: TaskRecord) => TaskRecord;

  constructor(options: MemoryStoreOptions = {}) {
    this.keep = options.freezeTasks ? freezeTask : (t) => t;
  }

  private record(rec: KeyRecord, kind: LedgerKind, amount: number, taskId: string | null, at: number): void {
    this.entries.push({
      seq: this.entries.length + 1,
      at,
      key: rec.key,
      kind,
      amount,
      task_id: taskId,
      balance: rec.credits,
      held: rec.held,
    });
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
    const rec = this.keys.get(key);
    if (!rec) return { ok: false, reason: 'unknown_key', available: 0 };
    const available = rec.credits - rec.held;
    if (available < amount) return { ok: false, reason: 'insufficient', available };
    rec.held += amount;
    this.holds.set(taskId, { key, amount });
    this.record(rec, 'hold', amount, taskId, at);
    return { ok: true, record: copyKey(rec) };
  }

  async settle(taskId: string, outcome: 'capture' | 'release', at: number): Promise<boolean> {
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
    return this.entries.filter((e) => key === undefined || e.key === key).map((e) => ({ ...e }));
  }

  async putTask(task: TaskRecord): Promise<void> {
    if (!this.tasks.has(task.id)) this.taskOrder.push(task.id);
    this.tasks.set(task.id, this.keep(task));
  }

  async finishTask(done: TaskRecord, outcome: 'capture' | 'release', at: number): Promise<boolean> {
    const stored = this.tasks.get(done.id);
    if (stored && (stored.status === 'COMPLETED' || stored.status === 'FAILED')) return false;
    // Both bodies run before the first await gives way: nothing interleaves with the check above.
    await Promise.all([this.settle(done.id, outcome, at), this.putTask(done)]);
    return true;
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
    const from = cursor === undefined ? order.length : /^\d{1,15}$/.test(cursor) ? Number(cursor) : NaN;
    if (!(from <= order.length)) return undefined;
    const all = filter.status === undefined && filter.model === undefined && filter.key === undefined;
    const tasks: TaskRecord[] = [];
    let i = from - 1;
    for (; i >= 0 && tasks.length < limit; i--) {
      const t = this.tasks.get(order[i]!)!;
      if (matches(t, filter)) tasks.push(t);
    }
    let more = false;
    for (let j = i; j >= 0 && !more; j--) more = matches(this.tasks.get(order[j]!)!, filter);
    let total = order.length;
    if (!all) {
      total = 0;
      for (const t of this.tasks.values()) if (matches(t, filter)) total++;
    }
    return { tasks, total, next: more ? String(i + 1) : null };
  }

  async claimIdempotency(
    scope: string,
    fingerprint: string,
    at: number,
    ttlMs: number,
    pendingTtlMs: number = ttlMs,
  ): Promise<IdempotencyRecord | undefined> {
    const existing = this.idempotency.get(scope);
    const age = existing ? at - existing.createdAt : 0;
    if (existing && age < ttlMs && (existing.taskId !== null || age < pendingTtlMs)) return { ...existing };
    this.idempotency.set(scope, { fingerprint, taskId: null, createdAt: at });
    return undefined;
  }

  async bindIdempotency(scope: string, taskId: string): Promise<void> {
    const rec = this.idempotency.get(scope);
    if (rec) rec.taskId = taskId;
  }

  async dropIdempotency(scope: string): Promise<void> {
    this.idempotency.delete(scope);
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
    this.jobs.set(job.id, { job: { ...job }, leasedUntil: null });
  }

  async claimDueJobs(now: number, limit: number, leaseMs: number): Promise<ScheduledJob[]> {
    const due = [...this.jobs.values()]
      .filter((e) => (e.leasedUntil === null ? e.job.due <= now : e.leasedUntil <= now))
      .sort((a, b) => a.job.due - b.job.due || (a.job.id < b.job.id ? -1 : 1))
      .slice(0, limit);
    for (const e of due) e.leasedUntil = now + leaseMs;
    return due.map((e) => ({ ...e.job }));
  }

  async completeJob(id: string): Promise<void> {
    this.jobs.delete(id);
  }

  async pendingJobs(): Promise<number> {
    return this.jobs.size;
  }

  async hitRateLimit(key: string, policy: RateLimitPolicy, now: number): Promise<RateWindow> {
    let w = this.windows.get(key);
    if (!w || now >= w.resetAt) {
      w = { count: 0, resetAt: now + policy.window_s * 1000 };
      this.windows.set(key, w);
    }
    w.count++;
    return { ...w };
  }

  private shared = new Map<string, { version: number; entries: Map<string, string> }>();

  async putShared(kind: string, id: string, json: string | null): Promise<void> {
    let c = this.shared.get(kind);
    if (!c) this.shared.set(kind, (c = { version: 0, entries: new Map() }));
    if (json === null) c.entries.delete(id);
    else c.entries.set(id, json);
    c.version++;
  }

  async readShared(kind: string, since: number): Promise<SharedSnapshot | undefined> {
    const c = this.shared.get(kind);
    const version = c?.version ?? 0;
    if (version === since) return undefined;
    return { version, entries: Object.fromEntries(c?.entries ?? []) };
  }

  /** A new value after each reset, as a wiped shared store would give. */
  private marker: string | undefined;

  async generation(): Promise<string> {
    return (this.marker ??= randomUUID());
  }

  async reset(): Promise<void> {
    this.marker = undefined;
    this.shared.clear();
    this.keys.clear();
    this.entries = [];
    this.holds.clear();
    this.tasks.clear();
    this.taskOrder = [];
    this.idempotency.clear();
    this.windows.clear();
    this.deliveries.clear();
    this.jobs.clear();
  }

  async close(): Promise<void> {}
}
