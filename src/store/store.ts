import type { TaskRecord, TaskStatus } from '../gateway/task.js';
import type { BookRead, JobBook, StoreBooking } from '../nodes/job-book.js';

export interface RateLimitPolicy {
  requests: number;
  window_s: number;
}

export interface KeyRecord {
  key: string;
  /** The balance: every grant and top-up, less every capture. */
  credits: number;
  /** Credits held by tasks that have not finished. */
  held: number;
  webhookSecret: string;
  rateLimit: RateLimitPolicy;
}

export type LedgerKind = 'grant' | 'topup' | 'hold' | 'capture' | 'release';

/** One movement of credits; `balance` and `held` are the key's figures after it. */
export interface LedgerEntry {
  seq: number;
  at: number;
  key: string;
  kind: LedgerKind;
  amount: number;
  task_id: string | null;
  balance: number;
  held: number;
}

export type HoldResult =
  { ok: true; record: KeyRecord } | { ok: false; reason: 'unknown_key' | 'insufficient'; available: number };

export interface IdempotencyRecord {
  fingerprint: string;
  /** Set once the request it guards has created its task. */
  taskId: string | null;
  createdAt: number;
}

/** One HTTP attempt at delivering a webhook. */
export interface DeliveryAttempt {
  n: number;
  /** Simulator clock, epoch ms. */
  at: number;
  /** The receiver's HTTP status; null when no answer came. */
  status: number | null;
  /** Wall-clock milliseconds the attempt took. */
  latency_ms: number;
  /** The start of the receiver's answer. */
  response_excerpt: string | null;
  error: string | null;
  /** Sent again on purpose by receiver chaos (same webhook-id). */
  duplicate: boolean;
}

export interface DeliveryRecord {
  /** The `webhook-id`, the same for every attempt. */
  id: string;
  task_id: string;
  key: string;
  url: string;
  /** The exact payload every attempt sends. */
  body: string;
  state: 'pending' | 'delivered' | 'failed' | 'disabled';
  attempts: DeliveryAttempt[];
  next_attempt_at: number | null;
  created_at: number;
}

/** A step to run later (a dispatch attempt, a poll, a webhook attempt), claimable by any instance. */
export interface ScheduledJob {
  id: string;
  /** Epoch ms when it is due. */
  due: number;
  kind: string;
  /** JSON: everything the step needs, so any instance can run it. */
  payload: string;
  /** The task this step moves, if any: a task with no pending step is stuck (`stuckTasks`). */
  taskId?: string;
  /** Steps that may be brought forward together (a node's sleeping polls): `groupJobs`, `moveJobs`. */
  group?: string;
}

/** A waiting job moved: to `job.due` with `job`'s payload, if it still waits at `fromDue`. */
export interface JobMove {
  job: ScheduledJob;
  fromDue: number;
}

/** A submit's writes, made all at once by `createTask` or not at all. */
export interface TaskCreation {
  /** The new task, IN_QUEUE, holding `task.held` credits of `task.key`. */
  task: TaskRecord;
  at: number;
  /**
   * Wall-clock epoch ms (the store's own clock) after which the write is refused: a call that
   * reaches the store late, after its caller has given up and answered, changes nothing.
   */
  deadline?: number;
  /** Bind this idempotency scope to the task, unless a live claim holds it (`duplicate`). */
  idempotency?: { scope: string; fingerprint: string; ttlMs: number; pendingTtlMs: number };
  /** The task's first step, stored leased to the caller until `leasedUntil` (it runs it at once). */
  firstStep?: { job: ScheduledJob; leasedUntil: number };
  /**
   * Admit the request in the same step, first (a submit whose body is valid: one store round trip,
   * not two): as `authorize(task.key, authorize)` would, count it against the key's window.
   * An unknown key gives unknown_key and counts nothing; a count over the key's limit gives
   * limited and writes nothing else; any other answer carries the key and window (`admitted`).
   */
  authorize?: number;
  /**
   * Book the first attempt's job on the node's job book in the same step, once the task is
   * created (a store with `jobBook`; any other ignores it): `booked` answers it.
   */
  booking?: StoreBooking;
}

/**
 * A finished task's webhook, written by the finishTask that wins, in the same step: the finish
 * and its delivery are never apart (a lost answer to the finish still leaves the delivery).
 */
export interface FinishDelivery {
  record: DeliveryRecord;
  /** Its first attempt as a stored step, due at `record.next_attempt_at` (none under clock timers). */
  firstStep?: ScheduledJob;
}

/** createTask's answer; with `authorize`, the key and its counted window once the key is found. */
export type TaskCreated = TaskOutcome & { admitted?: Authorized; booked?: BookRead };

export type TaskOutcome =
  | { kind: 'created' }
  | { kind: 'unknown_key' }
  | { kind: 'insufficient'; available: number }
  | { kind: 'duplicate'; record: IdempotencyRecord }
  /** Past its deadline, or already resolved as never created (`resolveCreate`): nothing written. */
  | { kind: 'refused' }
  /** Over the key's rate limit (only with `authorize`): the window counted, nothing else written. */
  | { kind: 'limited' };

export interface TaskFilter {
  status?: TaskStatus;
  model?: string;
  key?: string;
}

/** One page of tasks, newest first. */
export interface TaskPage {
  tasks: TaskRecord[];
  /** Tasks matching the filter, over all pages. */
  total: number;
  /** Pass as `cursor` for the next (older) page; null on the last one. */
  next: string | null;
}

export interface RateWindow {
  count: number;
  /** Epoch ms when the window ends. */
  resetAt: number;
}

/** A request's key and its rate window, counted with this request (`Store.authorize`). */
export interface Authorized {
  key: KeyRecord;
  window: RateWindow;
}

/** A shared collection (faults, open circuits) as one read gives it. */
export interface SharedSnapshot {
  /** Bumped by every write to the collection. */
  version: number;
  /** id → JSON. */
  entries: Record<string, string>;
}

/**
 * All of the simulator's state. Every method is async and every multi-step change (a hold that
 * checks the balance, a claim of an idempotency key) is atomic inside the store, so a Redis
 * implementation can replace the memory one without touching the gateway.
 */
export interface Store {
  /** Create or replace a key, granting it `credits` (a ledger entry). */
  createKey(
    key: string,
    credits: number,
    webhookSecret: string,
    rateLimit: RateLimitPolicy,
    at: number,
  ): Promise<KeyRecord>;
  getKey(key: string): Promise<KeyRecord | undefined>;
  listKeys(): Promise<KeyRecord[]>;
  /** Add credits to a key; undefined if the key does not exist. */
  topUp(key: string, amount: number, at: number): Promise<KeyRecord | undefined>;
  /** Hold `amount` for a task if the available balance (credits − held) covers it. */
  hold(key: string, taskId: string, amount: number, at: number): Promise<HoldResult>;
  /** Capture (charge) or release a task's hold; false if it holds nothing. */
  settle(taskId: string, outcome: 'capture' | 'release', at: number): Promise<boolean>;
  ledger(key?: string): Promise<LedgerEntry[]>;

  /**
   * A submit, atomic: hold the task's credits, store the task, bind its idempotency scope and
   * store its first step, all or nothing. Marks `task.id` as created, for `resolveCreate`.
   */
  createTask(c: TaskCreation): Promise<TaskCreated>;
  /**
   * After a createTask whose answer was lost (a timeout): true if it created `taskId`; else
   * false, and it never will (a late arrival is refused), so the submit can answer that.
   */
  resolveCreate(taskId: string): Promise<boolean>;

  /**
   * Store a task's move short of its end (or a fixture). A task already COMPLETED or FAILED is
   * left as it is: an end is final, and on a shared store a late write from an instance that had
   * not seen it end (a step run twice after a stall) must not undo it, or it could end twice.
   */
  putTask(task: TaskRecord): Promise<void>;
  /**
   * A task's one terminal transition, atomic: unless the stored task is already COMPLETED or
   * FAILED, settle its hold (`outcome`; nothing if it holds none) and store `done`, its terminal
   * record. True for the one caller that finished it; false for every later one, which must not
   * finish it again (no second webhook). The winner also stores `delivery` (record and step).
   */
  finishTask(done: TaskRecord, outcome: 'capture' | 'release', at: number, delivery?: FinishDelivery): Promise<boolean>;
  getTask(id: string): Promise<TaskRecord | undefined>;
  listTasks(filter: TaskFilter): Promise<TaskRecord[]>;
  /**
   * Up to `limit` tasks matching `filter`, newest first, from `cursor` (a `next` of an earlier
   * page; opaque to callers) on. An unusable cursor gives undefined.
   */
  pageTasks(filter: TaskFilter, limit: number, cursor?: string): Promise<TaskPage | undefined>;

  /**
   * Claim `scope` for a request with `fingerprint`. Returns undefined when this call claimed it
   * (records older than `ttlMs` are expired first, and so are claims still bound to no task after
   * `pendingTtlMs`: their request died or could not release them), or the record that holds it.
   */
  claimIdempotency(
    scope: string,
    fingerprint: string,
    at: number,
    ttlMs: number,
    pendingTtlMs?: number,
  ): Promise<IdempotencyRecord | undefined>;
  /** The live record on `scope` (as claimIdempotency would find it), claiming nothing. */
  readIdempotency(
    scope: string,
    at: number,
    ttlMs: number,
    pendingTtlMs: number,
  ): Promise<IdempotencyRecord | undefined>;
  /** Bind a claimed scope to the task its request created. */
  bindIdempotency(scope: string, taskId: string): Promise<void>;
  /** Drop a claim whose request created nothing (it failed), so it can be retried. */
  dropIdempotency(scope: string): Promise<void>;

  putDelivery(delivery: DeliveryRecord): Promise<void>;
  getDelivery(id: string): Promise<DeliveryRecord | undefined>;
  /** Every delivery, or those of one task, in creation order. */
  listDeliveries(taskId?: string): Promise<DeliveryRecord[]>;

  /** Add (or move) a job to run at `job.due`. */
  scheduleJob(job: ScheduledJob): Promise<void>;
  /**
   * Claim up to `limit` jobs due at or before `now`. Each is handed to exactly one caller and
   * leased until `now + leaseMs`; a lease that expires without completeJob (its instance died)
   * makes the job claimable again.
   */
  claimDueJobs(now: number, limit: number, leaseMs: number): Promise<ScheduledJob[]>;
  /**
   * Extend to `until` the leases of claimed jobs still running here (a heartbeat), so a live
   * instance's long step (a slow webhook receiver, a stalled node) is not claimed again while it
   * runs. A job no longer leased (completed, or claimed back after its lease ran out) is left alone.
   */
  renewJobs(ids: readonly string[], until: number): Promise<void>;
  /**
   * The claimed job ran: forget it, and schedule the jobs it left to follow it (`next`) in the
   * same step; with `task`, also store the task's record as `putTask` does (never over an ended
   * one), so a step's last write to its task costs no call of its own.
   */
  completeJob(id: string, next?: readonly ScheduledJob[], task?: TaskRecord): Promise<void>;
  /** The jobs of `group` that wait unclaimed, earliest due first. */
  groupJobs(group: string): Promise<ScheduledJob[]>;
  /**
   * Move each job that still waits unclaimed at `fromDue` (one claimed or moved since is left
   * alone) to its new due and payload, keeping its group; returns how many moved.
   */
  moveJobs(moves: readonly JobMove[]): Promise<number>;
  /** Jobs not yet completed (due or leased). */
  pendingJobs(): Promise<number>;

  /**
   * Up to `limit` tasks that are neither finished nor fixtures and have no pending step: nothing
   * will move them again (the reconciler ends them). Successive calls walk all such tasks.
   */
  stuckTasks(limit: number): Promise<string[]>;
  /** Up to `limit` tasks holding credits that have no task record (the reconciler releases them). */
  orphanHolds(limit: number): Promise<string[]>;
  /**
   * Take or renew the lease `name` for `owner` until `now + ttlMs`: true while `owner` holds it,
   * false while another does (one reconciler at a time across instances).
   */
  lease(name: string, owner: string, ttlMs: number, now: number): Promise<boolean>;

  /** Every idempotency record by scope (tests' and admins' read; nothing expires by reading). */
  idempotencyClaims(): Promise<Record<string, IdempotencyRecord>>;
  /** Every key's current rate window (a read: it counts nothing). */
  rateWindows(): Promise<Record<string, RateWindow>>;

  /** Count one request against a key's fixed window and return the window. */
  hitRateLimit(key: string, policy: RateLimitPolicy, now: number): Promise<RateWindow>;
  /**
   * A request's two first steps in one store step: the key (as getKey reads it) and its window
   * after counting this request under the key's own policy (as hitRateLimit counts it). An
   * unknown key gives undefined and counts nothing, so a 401 touches no window.
   */
  authorize(key: string, now: number): Promise<Authorized | undefined>;

  /** Set (or, with null, delete) entry `id` of the shared collection `kind`, bumping its version. */
  putShared(kind: string, id: string, json: string | null): Promise<void>;
  /** The collection `kind`, or undefined when its version is still `since` (one cheap read). */
  readShared(kind: string, since: number): Promise<SharedSnapshot | undefined>;

  /**
   * The store's generation: a marker created (with a fresh random value) when missing, so a
   * store that started empty (a Redis restarted without persistence, a reset) reads a new one.
   * Instances compare it with the last one they saw to know when to seed their config again.
   */
  generation(): Promise<string>;

  /** Forget everything. */
  reset(): Promise<void>;
  close(): Promise<void>;
  /** A node's job book kept in this store, shared by the instances on it; absent: each emulator keeps its own. */
  jobBook?(node: string): JobBook;
}
