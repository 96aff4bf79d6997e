import { createHmac } from 'node:crypto';
import type { Catalog } from '../catalog/load-catalog.js';
import { modelFigures, type ModelFigures } from '../catalog/figures.js';
import type { Clock, ClockMode } from '../clock/clock.js';
import type { KeyConfig } from '../config/config-schema.js';
import { errors } from '../gateway/errors.js';
import type { TaskStatus } from '../gateway/task.js';
import { ledgerTotals } from '../ledger/ledger.js';
import type { DeliveryRecord, KeyRecord, LedgerEntry, RateLimitPolicy, Store, TaskFilter } from '../store/store.js';
import { createRng, mix32, randomString } from '../rng/rng.js';
import type { Metrics } from '../metrics/metrics.js';
import type { WebhookDeliverer } from '../webhooks/deliverer.js';
import type { Fault, FaultSet } from '../nodes/faults.js';
import { parseFaultSpec } from '../nodes/fault-spec.js';
import type { TaskOrchestrator } from '../tasks/orchestrator.js';
import type { TaskRecord } from '../gateway/task.js';
import { createTaskFixture } from './task-fixtures.js';

export const DEV_KEY = 'aio_dev_key';
export const DEV_CREDITS = 10_000;
/** The dev key's webhook secret is fixed so receivers in users' tests can hard-code it. */
export const DEV_WEBHOOK_SECRET = `whsec_${Buffer.from('gwsim-dev-webhook-secret-32bytes').toString('base64')}`;
export const DEFAULT_RATE_LIMIT: RateLimitPolicy = { requests: 6000, window_s: 60 };

const KEY_PATTERN = /^aio_[A-Za-z0-9_-]{1,120}$/;
const MAX_CREDITS = 1e12;

export interface KeyView {
  key: string;
  credits: number;
  held: number;
  available: number;
  webhook_secret: string;
  rate_limit: RateLimitPolicy;
}

export interface AdminDeps {
  catalog: Catalog;
  store: Store;
  clock: Clock;
  seed: number;
  faults: FaultSet;
  metrics: Metrics;
  webhooks: WebhookDeliverer;
  statuses: readonly TaskStatus[];
  /** Task fixtures go through it (POST /_sim/tasks). */
  lifecycle: TaskOrchestrator;
  /** Hosts besides loopback a callback_url may name. */
  allowHosts: readonly string[];
  /** The spec's task error codes. */
  errorCodes: ReadonlySet<string>;
  /** Keys the simulator starts with (and gets back on reset). */
  keys: KeyConfig[];
  rateLimit: RateLimitPolicy;
  /** Multiplies every emulated duration (reported with the catalog). */
  timeScale?: number;
  /** Resets the parts the admin service does not own (lifecycle, caches). */
  onReset: () => void;
}

const keyView = (r: KeyRecord): KeyView => ({
  key: r.key,
  credits: r.credits,
  held: r.held,
  available: r.credits - r.held,
  webhook_secret: r.webhookSecret,
  rate_limit: r.rateLimit,
});

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown, max = MAX_CREDITS): v is number =>
  typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max;

/** The simulator's control surface; `/_sim/*` and the programmatic `admin` handle both call it. */
export class AdminService {
  private keyCounter = 0;

  constructor(private readonly deps: AdminDeps) {}

  /** Secrets are derived from seed and key, so a reset or a rerun gives the same ones. */
  private secretFor(key: string): string {
    if (key === DEV_KEY) return DEV_WEBHOOK_SECRET;
    return `whsec_${createHmac('sha256', String(this.deps.seed)).update(key).digest('base64')}`;
  }

  /** Back to the start state: keys from config, nothing else. */
  async reset(): Promise<void> {
    const { store, clock } = this.deps;
    clock.reset();
    // Faults go too: onReset adds the config's scenarios and webhook chaos afresh, and kept ones would double them.
    this.deps.faults.clear();
    this.deps.onReset();
    await store.reset();
    this.keyCounter = 0;
    for (const k of this.deps.keys) {
      await store.createKey(
        k.key,
        k.credits,
        k.webhook_secret ?? this.secretFor(k.key),
        k.rate_limit ?? this.deps.rateLimit,
        clock.now(),
      );
    }
  }

  /** Create the start keys that are missing, touching nothing else (an instance joining a shared store). */
  async ensureKeys(): Promise<void> {
    const { store, clock } = this.deps;
    for (const k of this.deps.keys) {
      if (!(await store.getKey(k.key)))
        await store.createKey(
          k.key,
          k.credits,
          k.webhook_secret ?? this.secretFor(k.key),
          k.rate_limit ?? this.deps.rateLimit,
          clock.now(),
        );
    }
  }

  clock(): { now_ms: number; mode: ClockMode } {
    return { now_ms: this.deps.clock.now(), mode: this.deps.clock.mode };
  }

  async advance(body: unknown): Promise<{ now_ms: number; mode: ClockMode }> {
    const ms = isObject(body) ? body.ms : undefined;
    if (!isCount(ms, 365 * 24 * 3600 * 1000))
      throw errors.invalidRequest("'ms' must be a whole number of milliseconds from 0 to one year");
    if (this.deps.clock.mode !== 'manual')
      throw errors.invalidRequest("'ms': the clock is real; start gwsim with --clock manual to advance it");
    await this.deps.clock.advance(ms);
    return this.clock();
  }

  async createKey(body: unknown): Promise<KeyView> {
    if (!isObject(body)) throw errors.invalidRequest('the body must be a JSON object');
    const unknown = Object.keys(body).filter((k) => k !== 'key' && k !== 'credits' && k !== 'rate_limit');
    if (unknown.length > 0)
      throw errors.invalidRequest(`'${unknown[0]}' is not a field of a key (key, credits, rate_limit)`);
    const limit = body.rate_limit as Record<string, unknown> | undefined;
    if (
      limit !== undefined &&
      (!isObject(limit) ||
        !isCount(limit.requests, 1e12) ||
        limit.requests === 0 ||
        !isCount(limit.window_s, 86_400) ||
        limit.window_s === 0 ||
        Object.keys(limit).length !== 2)
    ) {
      throw errors.invalidRequest(
        "'rate_limit' must be {requests, window_s}: whole numbers, requests ≥ 1, window_s 1 to 86400",
      );
    }
    if (!isCount(body.credits)) throw errors.invalidRequest("'credits' must be a whole number from 0 to 10^12");
    if (body.key !== undefined && (typeof body.key !== 'string' || !KEY_PATTERN.test(body.key))) {
      throw errors.invalidRequest("'key' must look like aio_… (letters, digits, _ and -, at most 124 characters)");
    }
    const key = body.key ?? `aio_${randomString(createRng(mix32(this.deps.seed, 0x6b6579, ++this.keyCounter)), 24)}`;
    if (await this.deps.store.getKey(key))
      throw errors.invalidRequest(`'key': ${key} exists already; top it up with POST /_sim/keys/${key}/credits`);
    const rateLimit = limit
      ? { requests: limit.requests as number, window_s: limit.window_s as number }
      : this.deps.rateLimit;
    return keyView(
      await this.deps.store.createKey(key, body.credits, this.secretFor(key), rateLimit, this.deps.clock.now()),
    );
  }

  async getKey(key: string): Promise<KeyView> {
    const rec = await this.deps.store.getKey(key);
    if (!rec) throw errors.notFound(`Key not found: ${key}`);
    return keyView(rec);
  }

  async topUp(key: string, body: unknown): Promise<KeyView> {
    const add = isObject(body) ? body.add : undefined;
    if (!isCount(add) || add === 0) throw errors.invalidRequest("'add' must be a whole number from 1 to 10^12");
    const rec = await this.deps.store.topUp(key, add, this.deps.clock.now());
    if (!rec) throw errors.notFound(`Key not found: ${key}`);
    return keyView(rec);
  }

  async tasks(query: Record<string, unknown>) {
    return this.deps.store.listTasks(this.taskFilter(query));
  }

  /** `status`, `model` and `key` of a query checked; a model alias names its model. */
  taskFilter(query: Record<string, unknown>): TaskFilter {
    const filter: TaskFilter = {};
    const { status, model, key } = query;
    if (status !== undefined) {
      if (typeof status !== 'string' || !this.deps.statuses.includes(status as TaskStatus)) {
        throw errors.invalidRequest(`'status' must be one of ${this.deps.statuses.join(', ')}`);
      }
      filter.status = status as TaskStatus;
    }
    if (model !== undefined) {
      const ref = typeof model === 'string' ? this.deps.catalog.resolve(model) : undefined;
      if (!ref) throw errors.invalidRequest(`'model' names no model of the catalog: ${String(model)}`);
      filter.model = ref.model.id;
    }
    if (key !== undefined) {
      if (typeof key !== 'string') throw errors.invalidRequest("'key' must be given once");
      filter.key = key;
    }
    return filter;
  }

  /** A task held in a given status, for provider states (see task-fixtures.ts). */
  createTask(body: unknown): Promise<TaskRecord> {
    return createTaskFixture(this.deps, body);
  }

  addFault(body: unknown): { id: string } & Fault {
    const [spec, field, reason] = parseFaultSpec(body, this.deps.catalog);
    if (!spec) throw errors.invalidRequest(`'${field}' ${reason}`);
    return this.deps.faults.add(spec);
  }

  listFaults(): Fault[] {
    return this.deps.faults.list();
  }

  removeFault(id: string): { removed: string } {
    if (!this.deps.faults.remove(id)) throw errors.notFound(`Fault not found: ${id}`);
    return { removed: id };
  }

  clearFaults(): { removed: number } {
    const n = this.deps.faults.list().length;
    this.deps.faults.clear();
    return { removed: n };
  }

  async webhooks(taskId: unknown): Promise<DeliveryRecord[]> {
    if (taskId !== undefined && typeof taskId !== 'string') throw errors.invalidRequest("'task_id' must be given once");
    return this.deps.store.listDeliveries(taskId);
  }

  async redeliver(id: string): Promise<DeliveryRecord> {
    const done = await this.deps.webhooks.redeliver(id);
    if (!done) throw errors.notFound(`Webhook delivery not found: ${id}`);
    return done;
  }

  /** Each model's latency, failure rate and credits as this simulator runs them (config applied). */
  catalog(): { time_scale: number; models: ModelFigures[] } {
    return { time_scale: this.deps.timeScale ?? 1, models: modelFigures(this.deps.catalog) };
  }

  metrics(): Promise<string> {
    return this.deps.metrics.text();
  }

  async ledger(key: unknown): Promise<{ entries: LedgerEntry[]; totals: { balance: number; held: number } }> {
    if (key !== undefined && typeof key !== 'string') throw errors.invalidRequest("'key' must be given once");
    const entries = await this.deps.store.ledger(key);
    return { entries, totals: ledgerTotals(entries) };
  }
}
