import { createHash } from 'node:crypto';
import type { ModelEntry } from '../catalog/catalog-schema.js';
import type { Catalog, ModelRef } from '../catalog/load-catalog.js';
import { submitParams } from '../catalog/defaults.js';
import { outputDimensions } from '../catalog/dimensions.js';
import { modelInfo, type ModelInfo } from '../catalog/model-info.js';
import type { Clock } from '../clock/clock.js';
import { priceOf } from '../ledger/pricing.js';
import type { IdempotencyRecord, KeyRecord, RateWindow, Store, TaskCreation } from '../store/store.js';
import { errors } from './errors.js';
import type { Started, TaskOrchestrator } from '../tasks/orchestrator.js';
import type { NewTask } from '../tasks/task-plan.js';
import type { RequestValidator } from './request-validation.js';
import { refuseCallback, refuseInputUrls } from '../webhooks/allowlist.js';
import type { FaultSet } from '../nodes/faults.js';
import type { SelfTargets } from '../net/self-targets.js';
import type { TaskRecord } from './task.js';
import { bearerCredential } from '../net/bearer.js';

export interface GatewayDeps {
  catalog: Catalog;
  store: Store;
  clock: Clock;
  tasks: TaskOrchestrator;
  requests: RequestValidator;
  /** Hosts besides loopback a callback_url or input_urls may name. */
  allowHosts: readonly string[];
  /** The faults in force: a model outage refuses its submits. */
  faults: FaultSet;
  /** Where the simulator itself answers: never a callback_url. */
  self: SelfTargets;
  /** Told when a Bearer key is unknown (a shared store that started empty loses every key). */
  onUnknownKey?: () => void;
}

/** Retry-After for an outage with no end: as long as a circuit's default cooldown. */
const OPEN_OUTAGE_RETRY_S = 30;

export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
/**
 * A claim its request never bound to a task (the request died, or the store was away when it
 * tried to release the claim) is free again after this long, rather than answering 409 for 24 h.
 */
export const IDEMPOTENCY_PENDING_MS = 60 * 1000;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** Key-order-independent JSON, so `{a,b}` and `{b,a}` are the same request. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    return `{${Object.keys(obj)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(obj[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

// The last policy header made: keys mostly share a few policies, so most requests reuse the string.
let lastPolicy = { requests: NaN, window_s: NaN, text: '' };
function policyHeader(requests: number, window_s: number): string {
  if (lastPolicy.requests !== requests || lastPolicy.window_s !== window_s)
    lastPolicy = { requests, window_s, text: `${requests};w=${window_s}` };
  return lastPolicy.text;
}

/** The RateLimit headers for a counted window, or 429 carrying them once it is over the limit. */
function rateLimitHeaders(key: KeyRecord, w: RateWindow, now: number): Record<string, string> {
  const { requests, window_s } = key.rateLimit;
  const reset = Math.max(0, Math.ceil((w.resetAt - now) / 1000));
  const headers = {
    'RateLimit-Policy': policyHeader(requests, window_s),
    RateLimit: `limit=${requests}, remaining=${Math.max(0, requests - w.count)}, reset=${reset}`,
  };
  if (w.count > requests)
    throw errors.rateLimited(`${requests} requests per ${window_s} s`, Math.max(1, reset), headers);
  return headers;
}

export interface Submitted {
  task: TaskRecord;
  replayed: boolean;
}

/** An admitted request: its key and the RateLimit headers to send. */
export interface Admission {
  key: KeyRecord;
  limits: Record<string, string>;
}

/** A submit checked and priced, ready for the store. */
interface Prepared {
  ref: ModelRef;
  task: NewTask;
  idempotency: TaskCreation['idempotency'];
}

/** The public API's operations, free of HTTP: handlers translate requests to these calls. */
export class GatewayService {
  constructor(private readonly deps: GatewayDeps) {}

  /**
   * The key named by `Authorization: Bearer …` (or 401), with this request counted against its
   * rate window in the same store step (`store.authorize`): the key and the RateLimit headers to
   * send, or 429 carrying them.
   */
  async admit(authorization: string | undefined): Promise<Admission> {
    const credential = bearerCredential(authorization);
    const now = this.deps.clock.now();
    const found = credential === undefined ? undefined : await this.deps.store.authorize(credential, now);
    if (!found) {
      if (credential !== undefined) this.deps.onUnknownKey?.();
      throw errors.unauthorized();
    }
    return { key: found.key, limits: rateLimitHeaders(found.key, found.window, now) };
  }

  /** `requestHost`: the submit's Host header, a name the simulator is reached by. */
  async submit(
    key: KeyRecord,
    body: unknown,
    idempotencyKey: string | undefined,
    requestHost?: string,
  ): Promise<Submitted> {
    const p = this.prepare(key.key, body, idempotencyKey, requestHost);
    try {
      this.refuseUnavailable(p.ref.model);
    } catch (err) {
      // A replay still answers during an outage; only a new request is refused.
      const { idempotency } = p;
      const prior =
        idempotency &&
        (await this.deps.store.readIdempotency(
          idempotency.scope,
          this.deps.clock.now(),
          IDEMPOTENCY_TTL_MS,
          IDEMPOTENCY_PENDING_MS,
        ));
      if (prior && idempotency && idempotencyKey !== undefined)
        return this.replay(prior, idempotency.fingerprint, idempotencyKey, p.ref.model);
      throw err;
    }
    // Hold, task, idempotency binding and first step in one store step: a refusal leaves nothing.
    return this.answer(
      await this.deps.tasks.start(this.deps.tasks.plan(p.ref), p.task, p.idempotency),
      p,
      idempotencyKey,
    );
  }

  /**
   * `admit` and `submit` in one store step when the body is valid and the model can be served (the
   * store admits the request as it creates the task: one round trip fewer). Any other submit takes
   * the two steps, so a user sees the same answer in the same order: 401, 429, then the body's
   * 400 or the model's 503. `admitted` is told the key and RateLimit headers once they are known.
   */
  async admitAndSubmit(
    authorization: string | undefined,
    body: unknown,
    idempotencyKey: string | undefined,
    requestHost: string | undefined,
    admitted: (a: Admission) => void,
  ): Promise<Submitted> {
    const credential = bearerCredential(authorization);
    let p: Prepared | undefined;
    try {
      if (credential !== undefined) {
        p = this.prepare(credential, body, idempotencyKey, requestHost);
        this.refuseUnavailable(p.ref.model);
      }
    } catch {
      p = undefined;
    }
    if (!p) {
      const a = await this.admit(authorization);
      admitted(a);
      return this.submit(a.key, body, idempotencyKey, requestHost);
    }
    const { tasks } = this.deps;
    const now = this.deps.clock.now();
    const started = await tasks.start(tasks.plan(p.ref), p.task, p.idempotency, now);
    if (started.kind === 'unknown_key') this.deps.onUnknownKey?.();
    // Absent only after a lost answer resolved as created: the window went uncounted here, so no headers.
    if (started.admitted) {
      const { key, window } = started.admitted;
      admitted({ key, limits: rateLimitHeaders(key, window, now) });
    }
    return this.answer(started, p, idempotencyKey);
  }

  /** The checks and figures a submit needs before the store: 400 for a body, header or URL refused. */
  private prepare(keyName: string, body: unknown, idempotencyKey: string | undefined, requestHost?: string): Prepared {
    const { requests } = this.deps;
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw errors.invalidRequest("'Idempotency-Key' must be 1 to 255 visible ASCII characters");
    }
    const { ref, body: valid } = requests.validate(body);
    // The parameters with their defaults, model, prompt and callback_url apart: what the task keeps.
    const { prompt, callbackUrl: callbackParam, params } = submitParams(ref.model, valid);
    const { price, numImages } = priceOf(ref, params);
    const { width, height } = outputDimensions(ref.model.output, params);
    if (typeof valid.callback_url === 'string') {
      const refused = refuseCallback(valid.callback_url, this.deps.allowHosts, (url) =>
        this.deps.self.includes(url, requestHost),
      );
      if (refused) throw errors.invalidRequest(`'callback_url' ${refused}`);
    }
    const input = refuseInputUrls(valid.input_urls, this.deps.allowHosts);
    if (input) throw errors.invalidRequest(input);

    let idempotency: Prepared['idempotency'];
    if (idempotencyKey !== undefined) {
      idempotency = {
        scope: `${keyName}\n${idempotencyKey}`,
        fingerprint: createHash('sha256').update(canonical(valid)).digest('base64url'),
        ttlMs: IDEMPOTENCY_TTL_MS,
        pendingTtlMs: IDEMPOTENCY_PENDING_MS,
      };
    }
    const callbackUrl = typeof callbackParam === 'string' ? callbackParam : null;
    const task: NewTask = {
      key: keyName,
      ref,
      prompt: String(prompt),
      params,
      price,
      numImages,
      width,
      height,
      callbackUrl,
    };
    return { ref, task, idempotency };
  }

  /** The submit's answer from what the store's one step made of it. */
  private async answer(started: Started, p: Prepared, idempotencyKey: string | undefined): Promise<Submitted> {
    const { ref, idempotency } = p;
    switch (started.kind) {
      case 'unknown_key':
        throw errors.unauthorized();
      case 'limited':
        throw new Error('a submit refused by a rate limit it was not admitted under');
      case 'insufficient':
        throw errors.insufficientCredits(p.task.price, started.available);
      case 'refused':
        throw errors.unavailable('The store did not answer in time; nothing was created or charged: retry', 1);
      case 'duplicate':
        if (!idempotency || idempotencyKey === undefined)
          throw new Error('a duplicate of a submit with no Idempotency-Key');
        return this.replay(started.record, idempotency.fingerprint, idempotencyKey, ref.model);
    }
    const task = started.task;
    return { task: ref.model.runtime === 'sync' ? await this.deps.tasks.settled(task.id) : task, replayed: false };
  }

  /** The task an earlier request with this Idempotency-Key made (a sync one once it has settled). */
  private async replay(
    prior: IdempotencyRecord,
    fingerprint: string,
    idempotencyKey: string,
    model: ModelEntry,
  ): Promise<Submitted> {
    if (prior.fingerprint !== fingerprint) throw errors.idempotencyMismatch(idempotencyKey);
    if (prior.taskId === null) throw errors.idempotencyInProgress(idempotencyKey);
    const task = await this.deps.store.getTask(prior.taskId);
    // Bound to a task the store no longer keeps: not in progress, and retrying will not help.
    if (!task) throw errors.idempotencyTaskGone(idempotencyKey, prior.taskId);
    return { task: model.runtime === 'sync' ? await this.deps.tasks.settled(task.id) : task, replayed: true };
  }

  /** 503 before anything is held when the model cannot be served: an outage on it, or every route's circuit open. */
  private refuseUnavailable(model: ModelEntry): void {
    const now = this.deps.clock.now();
    const outage = this.deps.faults.outage(model.id);
    if (outage) {
      const wait =
        outage.ends_at === null ? OPEN_OUTAGE_RETRY_S : Math.max(1, Math.ceil((outage.ends_at - now) / 1000));
      throw errors.unavailable(`${model.id} is not taking requests right now (an outage); retry in ${wait} s`, wait);
    }
    if (!this.deps.tasks.routable(model.routes)) {
      const wait = Math.max(1, Math.ceil(this.deps.tasks.msUntilRoutable(model.routes) / 1000));
      throw errors.unavailable(`No provider route is available for ${model.id}: every node's circuit is open`, wait);
    }
  }

  /** A task of this key; another key's task is as unknown as a missing one. */
  async getTask(key: KeyRecord, id: string): Promise<TaskRecord> {
    const task = await this.deps.store.getTask(id);
    if (!task || task.key !== key.key) throw errors.taskNotFound(id);
    return this.deps.tasks.refresh(task);
  }

  listModels(): ModelInfo[] {
    return this.deps.catalog.models.map((m) => modelInfo(this.deps.catalog, m));
  }

  getModel(name: string): ModelInfo {
    const ref = this.deps.catalog.resolve(name);
    if (!ref) throw errors.modelNotFound(name);
    return modelInfo(this.deps.catalog, ref.model);
  }

  async credits(key: KeyRecord): Promise<{ balance: number; held: number; available: number }> {
    const rec = (await this.deps.store.getKey(key.key)) ?? key;
    return { balance: rec.credits, held: rec.held, available: rec.credits - rec.held };
  }
}
