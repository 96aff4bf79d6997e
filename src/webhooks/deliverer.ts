import type { Clock } from '../clock/clock.js';
import { consoleLogger, type Logger } from '../log/logger.js';
import type { TaskRecord } from '../gateway/task.js';
import type { Metrics } from '../metrics/metrics.js';
import { WEBHOOKS_TARGET, type FaultSet } from '../nodes/faults.js';
import { createRng, hashString, mix32, randomString } from '../rng/rng.js';
import type { DeliveryAttempt, DeliveryRecord, FinishDelivery, Store } from '../store/store.js';
import { sign } from './signature.js';
import { parseRetryAfter } from '../client/retry-after.js';
import type { NextSteps, StepScheduler } from '../clock/steps.js';
import { DELIVERY_USER_AGENT } from './delivery-marks.js';

export interface WebhookOptions {
  /** Wait before each attempt after a failure: [after 1st, after 2nd, …]; its length + 1 = attempts. */
  retryScheduleMs: number[];
  /** One attempt's limit on the simulator clock. */
  timeoutMs: number;
  allowHosts: string[];
  /**
   * Real milliseconds a clock timer waits for a receiver's answer before letting the clock move on.
   * Under the manual clock, advance() awaits each timer in turn: awaiting a receiver that never
   * answers would stop the clock before the attempt's timeout timer, for good. Past this grace the
   * exchange goes on in the background and ends with its answer or when the clock reaches the
   * timeout. A real receiver answers well within the default; a test with a receiver that holds on
   * sets it short.
   */
  answerGraceMs: number;
}

/** Standard Webhooks' retry schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h. */
export const STANDARD_SCHEDULE_MS = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];

/** What one HTTP attempt came to. */
export interface SendResult {
  status: number | null;
  text: string;
  retryAfterMs: number | null;
  error: string | null;
}

export type Sender = (
  url: string,
  body: string,
  headers: Record<string, string>,
  signal: AbortSignal,
) => Promise<SendResult>;

export interface DelivererDeps {
  clock: Clock;
  store: Store;
  seed: number;
  faults: FaultSet;
  metrics: Metrics;
  options: WebhookOptions;
  /** The webhook secret of an API key. */
  secretOf: (key: string) => Promise<string | undefined>;
  /** The task as the payload carries it. */
  render: (task: TaskRecord) => unknown;
  send?: Sender;
  /** The `webhook-timestamp` clock: wall time, so receivers' replay checks work under any simulator clock. */
  wallClock?: () => number;
  /** Where attempts wait: clock timers, or jobs in a shared store. */
  steps: StepScheduler<WebhookSteps>;
  /** Where an attempt that failed after its grace is told (default: stderr). */
  logger?: Logger;
}

/** A delivery made ahead of its task's finish (`WebhookDeliverer.prepare`). */
export interface PreparedDelivery {
  /** For `Store.finishTask`: the record, and on stored steps its first attempt. */
  stored: FinishDelivery;
  /** Once the finish is won: schedule the first attempt where it is not stored with the finish. */
  started: () => Promise<void>;
}

/** The deliverer's step kinds and their payloads. */
export interface WebhookSteps {
  'webhook.attempt': { deliveryId: string };
}

const EXCERPT = 200;

/** `webhooks.answer_grace_ms` unless the config says otherwise (see WebhookOptions.answerGraceMs). */
export const ANSWER_GRACE_MS = 2000;

/** `work`, waited for up to `ms` of real time (its failure still reported). */
function withGrace(work: Promise<unknown>, ms: number, logger: Logger): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let waiting = true;
    const timer = setTimeout(() => {
      waiting = false;
      resolve();
    }, ms);
    timer.unref();
    work.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      (err: unknown) => {
        clearTimeout(timer);
        if (waiting) reject(err);
        else logger.error({ err }, 'webhook attempt failed');
      },
    );
  });
}

/** POST with undici; a network failure is a result with an error, not an exception. */
export const httpSend: Sender = async (url, body, headers, signal) => {
  try {
    // undici is loaded on the first delivery, not at every start.
    const { request } = await import('undici');
    const res = await request(url, { method: 'POST', body, headers, signal, headersTimeout: 0, bodyTimeout: 0 });
    const text = await res.body.text();
    return {
      status: res.statusCode,
      text,
      retryAfterMs: parseRetryAfter(res.headers['retry-after']) ?? null,
      error: null,
    };
  } catch (err) {
    return { status: null, text: '', retryAfterMs: null, error: signal.aborted ? 'timeout' : (err as Error).message };
  }
};

/**
 * Delivers a task's terminal state to its callback_url, signed per Standard Webhooks, retrying
 * on the simulator clock. Each attempt is a timer whose callback returns the HTTP exchange, so
 * the manual clock's advance() waits for deliveries too (for answerGraceMs of real time at most:
 * a receiver that holds on is then timed out when the clock passes timeout_ms). The task never
 * waits on its webhook.
 */
export class WebhookDeliverer {
  private generation = 0;
  private counter = 0;
  private readonly send: Sender;
  private readonly wallClock: () => number;
  /** Scheduled attempts under way, by delivery id: what an attempt's timeout timer waits for. */
  private readonly running = new Map<string, Promise<void>>();

  constructor(private readonly deps: DelivererDeps) {
    this.send = deps.send ?? httpSend;
    this.wallClock = deps.wallClock ?? Date.now;
    deps.steps.on('webhook.attempt', ({ deliveryId: id }, next) => {
      const run: Promise<void> = this.attempt(id, next)
        .then(() => undefined)
        .finally(() => {
          if (this.running.get(id) === run) this.running.delete(id);
        });
      this.running.set(id, run);
      // A stored step is completed (with the retry it scheduled) only once its writes are done, so a
      // store that stalls under an attempt leaves it to run again after its lease, never half-logged.
      // The grace is for clock timers, which the manual clock's advance() awaits.
      if (deps.steps.stored) return run;
      return withGrace(run, this.deps.options.answerGraceMs, this.deps.logger ?? consoleLogger());
    });
  }

  /**
   * A task's delivery, made before its finish so `Store.finishTask` stores it (and, on stored
   * steps, its first attempt) in the same step: a finish never goes without its webhook, even if
   * the finish's answer is lost. `started` then schedules the first attempt on clock timers (no
   * store call there); on stored steps the finish already holds it.
   */
  prepare(task: TaskRecord): PreparedDelivery | undefined {
    if (!task.callbackUrl) return undefined;
    const { clock, seed } = this.deps;
    const n = ++this.counter;
    const rng = createRng(mix32(seed, hashString(task.id), n));
    const record: DeliveryRecord = {
      id: `msg_${randomString(rng, 24)}`,
      task_id: task.id,
      key: task.key,
      url: task.callbackUrl,
      body: JSON.stringify({ code: 200, message: 'success', data: this.deps.render(task) }),
      state: 'pending',
      attempts: [],
      next_attempt_at: null,
      created_at: clock.now(),
    };
    let delay = 0;
    for (const f of this.deps.faults.active(WEBHOOKS_TARGET)) {
      if (f.kind === 'delay') delay += f.value ?? 0;
      if (f.kind === 'reorder') delay += Math.floor(rng.next() * (f.value ?? 0));
    }
    const due = clock.now() + delay;
    record.next_attempt_at = due;
    const step = this.deps.steps.stored?.(due, 'webhook.attempt', { deliveryId: record.id });
    return {
      stored: step ? { record, firstStep: step.job } : { record },
      started: () => (step ? Promise.resolve() : this.schedule(record.id, due)),
    };
  }

  /** Record a delivery and schedule its first attempt, apart from any finish (a finished fixture's). */
  async enqueue(task: TaskRecord): Promise<void> {
    const prepared = this.prepare(task);
    if (!prepared) return;
    const { record } = prepared.stored;
    await this.deps.store.putDelivery(record);
    await this.schedule(record.id, record.next_attempt_at ?? this.deps.clock.now());
  }

  private schedule(id: string, at: number, next: NextSteps<WebhookSteps> = this.deps.steps): Promise<void> {
    return next.at(at, 'webhook.attempt', { deliveryId: id });
  }

  /** One attempt of a pending delivery; a failure schedules the next on `next`, per the retry schedule. */
  private async attempt(id: string, next: NextSteps<WebhookSteps>): Promise<DeliveryRecord | undefined> {
    const { store, clock, options, metrics } = this.deps;
    const gen = this.generation;
    const delivery = await store.getDelivery(id);
    if (!delivery || delivery.state !== 'pending') return delivery;
    const result = await this.post(delivery, false);
    if (gen !== this.generation) return undefined;
    const ok = result.status !== null && result.status >= 200 && result.status < 300;
    if (ok && this.duplicateNow(delivery)) await this.post(delivery, true);
    const done = await store.getDelivery(id);
    if (!done || gen !== this.generation) return undefined;
    const failures = done.attempts.filter((a) => !a.duplicate).length;
    let retryAt: number | null = null;
    if (ok) done.state = 'delivered';
    else if (result.status === 410) done.state = 'disabled';
    else if (failures <= options.retryScheduleMs.length) {
      retryAt =
        clock.now() +
        Math.max(
          options.retryScheduleMs[failures - 1]!,
          result.status === 429 || result.status === 503 ? (result.retryAfterMs ?? 0) : 0,
          1,
        );
    } else done.state = 'failed';
    done.next_attempt_at = retryAt;
    await store.putDelivery(done);
    metrics.webhookAttempts.inc({ outcome: done.state === 'pending' ? 'retrying' : done.state });
    if (retryAt !== null) await this.schedule(id, retryAt, next);
    return done;
  }

  private duplicateNow(delivery: DeliveryRecord): boolean {
    const rng = createRng(mix32(this.deps.seed, hashString(delivery.id), delivery.attempts.length));
    return this.deps.faults.active(WEBHOOKS_TARGET).some((f) => f.kind === 'duplicate' && rng.next() < (f.value ?? 1));
  }

  /** Sign and send once, and log the attempt on the delivery. */
  private async post(delivery: DeliveryRecord, duplicate: boolean): Promise<SendResult> {
    const { clock, store, options } = this.deps;
    const secret = (await this.deps.secretOf(delivery.key)) ?? '';
    const timestamp = Math.floor(this.wallClock() / 1000);
    // These and nothing else: never the admin token, whatever the URL.
    const headers = {
      'content-type': 'application/json',
      'user-agent': DELIVERY_USER_AGENT,
      'webhook-id': delivery.id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': sign(secret, delivery.id, timestamp, delivery.body),
    };
    const at = clock.now();
    const controller = new AbortController();
    // On firing, also wait for the attempt to be logged (and its retry scheduled) before the clock goes on.
    const timer = clock.schedule(at + options.timeoutMs, () => {
      controller.abort();
      return this.running.get(delivery.id);
    });
    const gen = this.generation;
    const result = await this.send(delivery.url, delivery.body, headers, controller.signal);
    clock.cancel(timer);
    // A reset while the receiver had the request: the delivery is gone, and stays gone.
    if (gen !== this.generation) return result;
    const current = (await store.getDelivery(delivery.id)) ?? delivery;
    const attempt: DeliveryAttempt = {
      n: current.attempts.length + 1,
      at,
      status: result.status,
      // On the simulator clock, as every other time here: 0 under the manual clock, so logs repeat.
      latency_ms: clock.now() - at,
      response_excerpt: result.status === null ? null : result.text.slice(0, EXCERPT),
      error:
        result.error ??
        (result.status !== null && (result.status < 200 || result.status >= 300) ? `HTTP ${result.status}` : null),
      duplicate,
    };
    await store.putDelivery({ ...current, attempts: [...current.attempts, attempt] });
    return result;
  }

  /** Send a delivery once more, now (the admin's redeliver); its state follows the answer. */
  async redeliver(id: string): Promise<DeliveryRecord | undefined> {
    const delivery = await this.deps.store.getDelivery(id);
    if (!delivery) return undefined;
    const result = await this.post(delivery, false);
    const done = await this.deps.store.getDelivery(id);
    if (!done) return undefined;
    if (result.status !== null && result.status >= 200 && result.status < 300) done.state = 'delivered';
    await this.deps.store.putDelivery(done);
    return done;
  }

  reset(): void {
    this.generation++;
    this.running.clear();
    this.counter = 0;
  }
}
