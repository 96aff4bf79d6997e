import type { TaskRecord, TaskStatus } from '../gateway/task.js';

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

export type HoldResult = { ok: true; record: KeyRecord } | { ok: false; reason: 'unknown_key' | 'insufficient'; available: number };

export interface IdempotencyRecord {
  fingerprint: string;
  /** Set once the request it guards has created its task. */
  taskId: string | null;
  createdAt: number;
}

export interface TaskFilter {
  status?: TaskStatus;
  model?: string;
  key?: string;
}

export interface RateWindow {
  count: number;
  /** Epoch ms when the window ends. */
  resetAt: number;
}

/**
 * All of the simulator's state. Every method is async and every multi-step change (a hold that
 * checks the balance, a claim of an idempotency key) is atomic inside the store, so a Redis
 * implementation can replace the memory one without touching the gateway.
 */
export interface Store {
  /** Create or replace a key, granting it `credits` (a ledger entry). */
  createKey(key: string, credits: number, webhookSecret: string, rateLimit: RateLimitPolicy, at: number): Promise<KeyRecord>;
  getKey(key: string): Promise<KeyRecord | undefined>;
  listKeys(): Promise<KeyRecord[]>;
  /** Add credits to a key; undefined if the key does not exist. */
  topUp(key: string, amount: number, at: number): Promise<KeyRecord | undefined>;
  /** Hold `amount` for a task if the available balance (credits − held) covers it. */
  hold(key: string, taskId: string, amount: number, at: number): Promise<HoldResult>;
  /** Capture (charge) or release a task's hold; false if it holds nothing. */
  settle(taskId: string, outcome: 'capture' | 'release', at: number): Promise<boolean>;
  ledger(key?: string): Promise<LedgerEntry[]>;

  putTask(task: TaskRecord): Promise<void>;
  getTask(id: string): Promise<TaskRecord | undefined>;
  listTasks(filter: TaskFilter): Promise<TaskRecord[]>;

  /**
   * Claim `scope` for a request with `fingerprint`. Returns undefined when this call claimed it
   * (records older than `ttlMs` are expired first), or the record that already holds it.
   */
  claimIdempotency(scope: string, fingerprint: string, at: number, ttlMs: number): Promise<IdempotencyRecord | undefined>;
  /** Bind a claimed scope to the task its request created. */
  bindIdempotency(scope: string, taskId: string): Promise<void>;
  /** Drop a claim whose request created nothing (it failed), so it can be retried. */
  dropIdempotency(scope: string): Promise<void>;

  /** Count one request against a key's fixed window and return the window. */
  hitRateLimit(key: string, policy: RateLimitPolicy, now: number): Promise<RateWindow>;

  /** Forget everything. */
  reset(): Promise<void>;
  close(): Promise<void>;
}
