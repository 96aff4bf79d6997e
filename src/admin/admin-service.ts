import { createHmac } from 'node:crypto';
import type { Catalog } from '../catalog/load-catalog.js';
import { modelFigures } from '../catalog/figures.js';
import type { Clock } from '../clock/clock.js';
import type { KeyConfig } from '../config/config-schema.js';
import { errors } from '../gateway/errors.js';
import type { TaskStatus } from '../gateway/task.js';
import { ledgerTotals } from '../ledger/ledger.js';
import type {
  DeliveryRecord,
  IdempotencyRecord,
  KeyRecord,
  RateLimitPolicy,
  RateWindow,
  Store,
  TaskFilter,
} from '../store/store.js';
import { createRng, mix32, randomString } from '../rng/rng.js';
import type { Metrics } from '../metrics/metrics.js';
import type { WebhookDeliverer } from '../webhooks/deliverer.js';
import type { Fault, FaultSet } from '../nodes/faults.js';
import { parseFaultSpec } from '../nodes/fault-spec.js';
import type { TaskOrchestrator } from '../tasks/orchestrator.js';
import type { TaskRecord } from '../gateway/task.js';
import { createTaskFixture } from './task-fixtures.js';
import type { components } from '../generated/admin.js';
import { adminValidators, bodyProblem, readQuery, type QueryValues } from '../spec/admin-validators.js';

type Schemas = components['schemas'];
/** A key as `/_sim/keys` answers it (admin.yaml `Key`). */
export type KeyView = Schemas['Key'];
export type KeyRequest = Schemas['KeyRequest'];
export type ClockView = Schemas['Clock'];

export const DEV_KEY = 'aio_dev_key';
export const DEV_CREDITS = 10_000;
/** The dev key's webhook secret is fixed so receivers in users' tests can hard-code it. */
export const DEV_WEBHOOK_SECRET = `whsec_${Buffer.from('gwsim-dev-webhook-secret-32bytes').toString('base64')}`;
export const DEFAULT_RATE_LIMIT: RateLimitPolicy = { requests: 6000, window_s: 60 };

export interface AdminDeps {
  catalog: Catalog;
  store: Store;
  clock: Clock;
  seed: number;
  /** On a shared store: mixed into generated key names, as into task ids (settings.instanceSalt). */
  instanceSalt?: number | undefined;
  faults: FaultSet;
  metrics: Metrics;
  webhooks: WebhookDeliverer;
  /** Task fixtures go through it (POST /_sim/tasks). */
  lifecycle: TaskOrchestrator;
  /** Hosts besides loopback a callback_url may name. */
  allowHosts: readonly string[];
  /** Keys the simulator starts with (and gets back on reset). */
  keys: KeyConfig[];
  rateLimit: RateLimitPolicy;
  /** Multiplies every emulated duration (reported with the catalog). */
  timeScale?: number;
  /** Resets the parts the admin service does not own (lifecycle, caches). */
  onReset: () => void | Promise<void>;
}

const keyView = (r: KeyRecord): KeyView => ({
  key: r.key,
  credits: r.credits,
  held: r.held,
  available: r.credits - r.held,
  webhook_secret: r.webhookSecret,
  rate_limit: r.rateLimit,
});

/** The body checked against the operation's schema in openapi/admin.yaml (400 naming the field), typed as it says. */
function checked<T>(path: string, method: string, body: unknown): T {
  const problem = bodyProblem(adminValidators(), path, method, body);
  if (problem) throw errors.invalidRequest(problem);
  return body as T;
}

/** The operation's query parameters as admin.yaml declares them (400 naming the parameter). */
export function adminQuery(path: string, method: string, query: Record<string, unknown>): QueryValues {
  const [values, problem] = readQuery(adminValidators(), path, method, query);
  if (!values) throw errors.invalidRequest(problem);
  return values;
}

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
    await this.deps.onReset();
    await store.reset();
    this.keyCounter = 0;
    for (const k of this.deps.keys) await this.createStartKey(k);
  }

  /** Create the start keys that are missing, touching nothing else (an instance joining a shared store). */
  async ensureKeys(): Promise<void> {
    const { store } = this.deps;
    for (const k of this.deps.keys) {
      if (!(await store.getKey(k.key))) await this.createStartKey(k);
    }
  }

  private createStartKey(k: KeyConfig): Promise<unknown> {
    return this.deps.store.createKey(
      k.key,
      k.credits,
      k.webhook_secret ?? this.secretFor(k.key),
      k.rate_limit ?? this.deps.rateLimit,
      this.deps.clock.now(),
    );
  }

  clock(): ClockView {
    return { now_ms: this.deps.clock.now(), mode: this.deps.clock.mode };
  }

  async advance(body: unknown): Promise<ClockView> {
    const { ms } = checked<Schemas['ClockAdvance']>('/_sim/clock/advance', 'post', body);
    if (this.deps.clock.mode !== 'manual')
      throw errors.invalidRequest("'ms': the clock is real; start gwsim with --clock manual to advance it");
    await this.deps.clock.advance(ms);
    return this.clock();
  }

  async createKey(input: unknown): Promise<KeyView> {
    const body = checked<KeyRequest>('/_sim/keys', 'post', input);
    const key = body.key ?? (await this.freeKeyName());
    if (body.key !== undefined && (await this.deps.store.getKey(key)))
      throw errors.invalidRequest(`'key': ${key} exists already; top it up with POST /_sim/keys/${key}/credits`);
    const rateLimit = body.rate_limit ?? this.deps.rateLimit;
    return keyView(
      await this.deps.store.createKey(key, body.credits, this.secretFor(key), rateLimit, this.deps.clock.now()),
    );
  }

  /**
   * The next generated key name from the seed (salted on a shared store) that no key has: a
   * store kept from an earlier run, or another instance, may hold the first ones already.
   */
  private async freeKeyName(): Promise<string> {
    const { seed, instanceSalt } = this.deps;
    for (let tries = 0; tries < 100; tries++) {
      const n = ++this.keyCounter;
      const rng = createRng(
        instanceSalt === undefined ? mix32(seed, 0x6b6579, n) : mix32(seed, instanceSalt, 0x6b6579, n),
      );
      const key = `aio_${randomString(rng, 24)}`;
      if (!(await this.deps.store.getKey(key))) return key;
    }
    throw new Error('no free generated key name in 100 draws'); // 24 random characters: never
  }

  async getKey(key: string): Promise<KeyView> {
    const rec = await this.deps.store.getKey(key);
    if (!rec) throw errors.notFound(`Key not found: ${key}`);
    return keyView(rec);
  }

  async topUp(key: string, body: unknown): Promise<KeyView> {
    const { add } = checked<Schemas['TopUp']>('/_sim/keys/{key}/credits', 'post', body);
    const rec = await this.deps.store.topUp(key, add, this.deps.clock.now());
    if (!rec) throw errors.notFound(`Key not found: ${key}`);
    return keyView(rec);
  }

  async tasks(query: Record<string, unknown>) {
    return this.deps.store.listTasks(this.taskFilter(adminQuery('/_sim/tasks', 'get', query)));
  }

  /** The `status`, `model` and `key` of a query the spec has checked; a model alias names its model. */
  taskFilter(values: QueryValues): TaskFilter {
    const { status, model, key } = values;
    const filter: TaskFilter = {};
    if (status !== undefined) filter.status = status as TaskStatus;
    if (model !== undefined) {
      const ref = this.deps.catalog.resolve(String(model));
      if (!ref) throw errors.invalidRequest(`'model' names no model of the catalog: ${String(model).slice(0, 100)}`);
      filter.model = ref.model.id;
    }
    if (key !== undefined) filter.key = String(key);
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
    const { task_id } = adminQuery('/_sim/webhooks', 'get', { task_id: taskId });
    return this.deps.store.listDeliveries(task_id === undefined ? undefined : String(task_id));
  }

  async redeliver(id: string): Promise<DeliveryRecord> {
    const done = await this.deps.webhooks.redeliver(id);
    if (!done) throw errors.notFound(`Webhook delivery not found: ${id}`);
    return done;
  }

  /** Each model's latency, failure rate and credits as this simulator runs them (config applied). */
  catalog(): Schemas['CatalogFigures'] {
    return { time_scale: this.deps.timeScale ?? 1, models: modelFigures(this.deps.catalog) };
  }

  metrics(): Promise<string> {
    return this.deps.metrics.text();
  }

  /** Idempotency records and rate windows as stored (a read for tests and admins; no HTTP route). */
  async claimsAndWindows(): Promise<{
    claims: Record<string, IdempotencyRecord>;
    windows: Record<string, RateWindow>;
  }> {
    const [claims, windows] = await Promise.all([this.deps.store.idempotencyClaims(), this.deps.store.rateWindows()]);
    return { claims, windows };
  }

  async ledger(key: unknown): Promise<Schemas['Ledger']> {
    const values = adminQuery('/_sim/ledger', 'get', { key });
    const only = values.key === undefined ? undefined : String(values.key);
    // An unknown key is 404, as its top-up is, not an empty ledger that reads as a key with nothing.
    if (only !== undefined && !(await this.deps.store.getKey(only))) throw errors.notFound(`Key not found: ${only}`);
    const entries = await this.deps.store.ledger(only);
    return { entries, totals: ledgerTotals(entries) };
  }
}
