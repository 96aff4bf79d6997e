import type { TaskRecord } from '../gateway/task.js';
import { Fifo } from './memory-retention.js';
import type {
  DeliveryRecord,
  KeyRecord,
  TaskFilter,
  IdempotencyRecord,
  RateLimitPolicy,
  RateWindow,
  ScheduledJob,
  SharedSnapshot,
} from './store.js';

// Key and delivery records change in place here, so they are copied in and out (rateLimit, attempts too).
export const copyKey = (r: KeyRecord): KeyRecord => ({ ...r, rateLimit: { ...r.rateLimit } });
/**
 * Task records are values: every writer builds a new one (`{ ...task, status }`) and none changes
 * one it holds, so the store keeps and hands out the caller's object, copying nothing. Freezing it
 * (and what it points to) makes a writer that breaks the rule throw. It costs about what the copy
 * did (1–2 µs a record here), so only tests ask for it (`freezeTasks`).
 */
export function freezeTask(t: TaskRecord): TaskRecord {
  if (Object.isFrozen(t)) return t;
  if (t.error) Object.freeze(t.error);
  if (!Object.isFrozen(t.attempts)) {
    for (const a of t.attempts) Object.freeze(a);
    Object.freeze(t.attempts);
  }
  return Object.freeze(t);
}
export const matches = (t: TaskRecord, f: TaskFilter): boolean =>
  (f.status === undefined || t.status === f.status) &&
  (f.model === undefined || t.model === f.model) &&
  (f.key === undefined || t.key === f.key);
export const copyDelivery = (d: DeliveryRecord): DeliveryRecord => ({
  ...d,
  attempts: d.attempts.map((a) => ({ ...a })),
});

/** A credit hold: what `settle` gives back or takes. */
export interface Hold {
  readonly key: string;
  readonly amount: number;
}

/**
 * Hold values shared by every task holding the same amount on the same key (a few keys and
 * prices make nearly all of them), so a task in flight costs its map entry, not an object too.
 * Values are never changed, so sharing is safe; past `limit` pairs a new one is not remembered.
 */
export class HoldValues {
  private byKey = new Map<string, Map<number, Hold>>();
  private count = 0;

  constructor(private readonly limit = 10_000) {}

  of(key: string, amount: number): Hold {
    let amounts = this.byKey.get(key);
    const known = amounts?.get(amount);
    if (known) return known;
    const hold: Hold = { key, amount };
    if (this.count >= this.limit) return hold;
    if (!amounts) this.byKey.set(key, (amounts = new Map<number, Hold>()));
    amounts.set(amount, hold);
    this.count++;
    return hold;
  }

  clear(): void {
    this.byKey.clear();
    this.count = 0;
  }
}

/** The memory store's steps: each job with its lease, and which tasks have a pending step. */
export class MemoryJobs {
  private jobs = new Map<string, { job: ScheduledJob; leasedUntil: number | null }>();

  schedule(job: ScheduledJob, leasedUntil: number | null = null): void {
    this.jobs.set(job.id, { job: { ...job }, leasedUntil });
  }

  claimDue(now: number, limit: number, leaseMs: number): ScheduledJob[] {
    const due = [...this.jobs.values()]
      .filter((e) => (e.leasedUntil === null ? e.job.due <= now : e.leasedUntil <= now))
      .sort((a, b) => a.job.due - b.job.due || (a.job.id < b.job.id ? -1 : 1))
      .slice(0, limit);
    for (const e of due) e.leasedUntil = now + leaseMs;
    return due.map((e) => ({ ...e.job }));
  }

  complete(id: string): void {
    this.jobs.delete(id);
  }

  renew(ids: readonly string[], until: number): void {
    for (const id of ids) {
      const e = this.jobs.get(id);
      if (e && e.leasedUntil !== null) e.leasedUntil = Math.max(e.leasedUntil, until);
    }
  }

  /** A group's jobs that wait unclaimed, earliest due first. */
  group(group: string): ScheduledJob[] {
    return [...this.jobs.values()]
      .filter((e) => e.leasedUntil === null && e.job.group === group)
      .sort((a, b) => a.job.due - b.job.due)
      .map((e) => ({ ...e.job }));
  }

  /** Move a job that still waits unclaimed at `fromDue`; false if it was claimed or moved since. */
  move(job: ScheduledJob, fromDue: number): boolean {
    const e = this.jobs.get(job.id);
    if (!e || e.leasedUntil !== null || e.job.due !== fromDue) return false;
    e.job = { ...job };
    return true;
  }

  get size(): number {
    return this.jobs.size;
  }

  /** Ids of the tasks some pending job moves. */
  tasksWithSteps(): Set<string> {
    const ids = new Set<string>();
    for (const { job } of this.jobs.values()) if (job.taskId !== undefined) ids.add(job.taskId);
    return ids;
  }

  clear(): void {
    this.jobs.clear();
  }
}

/** The memory store's shared collections (faults, open circuits), each with its version. */
export class MemoryShared {
  private collections = new Map<string, { version: number; entries: Map<string, string> }>();

  put(kind: string, id: string, json: string | null): void {
    let c = this.collections.get(kind);
    if (!c) this.collections.set(kind, (c = { version: 0, entries: new Map() }));
    if (json === null) c.entries.delete(id);
    else c.entries.set(id, json);
    c.version++;
  }

  read(kind: string, since: number): SharedSnapshot | undefined {
    const c = this.collections.get(kind);
    const version = c?.version ?? 0;
    if (version === since) return undefined;
    return { version, entries: Object.fromEntries(c?.entries ?? []) };
  }

  clear(): void {
    this.collections.clear();
  }
}

/** The memory store's idempotency claims, rate windows and leases. */
export class MemoryClaims {
  private idempotency = new Map<string, IdempotencyRecord>();
  /** Scopes in the order they were claimed, so expired claims are dropped from the front. */
  private claimOrder = new Fifo<string>();
  private rate = new Map<string, RateWindow>();
  private leases = new Map<string, { owner: string; until: number }>();

  lease(name: string, owner: string, ttlMs: number, now: number): boolean {
    const held = this.leases.get(name);
    if (held && held.owner !== owner && held.until > now) return false;
    this.leases.set(name, { owner, until: now + ttlMs });
    return true;
  }

  /** The claim on `scope` unless it has expired (a bound one after ttlMs, an unbound one after pendingTtlMs). */
  live(scope: string, at: number, ttlMs: number, pendingTtlMs: number): IdempotencyRecord | undefined {
    const existing = this.idempotency.get(scope);
    const age = existing ? at - existing.createdAt : 0;
    return existing && age < ttlMs && (existing.taskId !== null || age < pendingTtlMs) ? { ...existing } : undefined;
  }

  claim(scope: string, fingerprint: string, at: number, ttlMs: number, pendingTtlMs: number) {
    const existing = this.live(scope, at, ttlMs, pendingTtlMs);
    if (existing) return existing;
    this.prune(at, ttlMs);
    this.idempotency.set(scope, { fingerprint, taskId: null, createdAt: at });
    this.claimOrder.push(scope);
    return undefined;
  }

  set(scope: string, record: IdempotencyRecord): void {
    this.idempotency.set(scope, record);
    this.claimOrder.push(scope);
  }

  /** Drops the claims older than ttlMs at the front of the claim order: O(1) amortized. */
  prune(at: number, ttlMs: number): void {
    for (let scope = this.claimOrder.peek(); scope !== undefined; scope = this.claimOrder.peek()) {
      const rec = this.idempotency.get(scope);
      if (rec && at - rec.createdAt < ttlMs) return;
      this.claimOrder.shift();
      if (rec) this.idempotency.delete(scope);
    }
  }

  bind(scope: string, taskId: string): void {
    const rec = this.idempotency.get(scope);
    if (rec) rec.taskId = taskId;
  }

  drop(scope: string): void {
    this.idempotency.delete(scope);
  }

  all(): Record<string, IdempotencyRecord> {
    return Object.fromEntries([...this.idempotency].map(([scope, r]) => [scope, { ...r }]));
  }

  hit(key: string, policy: RateLimitPolicy, now: number): RateWindow {
    let w = this.rate.get(key);
    if (!w || now >= w.resetAt) {
      w = { count: 0, resetAt: now + policy.window_s * 1000 };
      this.rate.set(key, w);
    }
    w.count++;
    return { ...w };
  }

  windows(): Record<string, RateWindow> {
    return Object.fromEntries([...this.rate].map(([key, w]) => [key, { ...w }]));
  }

  clear(): void {
    this.idempotency.clear();
    this.claimOrder.clear();
    this.rate.clear();
    this.leases.clear();
  }
}
