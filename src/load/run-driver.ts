import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { withCallback, type ArrivalPlanner, type PlannedJourney } from './arrival-plan.js';
import type { Arrival, ArrivalSchedule, Shard } from './arrivals.js';
import type { GatewayClient } from './gateway-client.js';
import { LatencyRecorder } from './histograms.js';
import { Journey, type JourneyEvent, type JourneySettings, type Reply, type TaskSnapshot } from './journey.js';
import { bucketWidth, RunStats } from './run-stats.js';
import type { Scenario } from './scenario.js';
import type { WebhookReceiver } from './webhook-receiver.js';
import { isTerminal } from '../gateway/task.js';

export interface DriveOptions {
  /** Stops the run early (SIGINT): no more arrivals, in-flight journeys are interrupted. */
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  progressEveryMs?: number;
}

export interface Progress {
  elapsedMs: number;
  durationMs: number;
  started: number;
  inFlight: number;
  completed: number;
  failed: number;
  errors: number;
  /** p99 of submit so far, ms (null before any). */
  p99SubmitMs: number | null;
}

/** Steps one journey may take: submit, polls, webhook wait, download, with room to spare. */
const MAX_STEPS = 20_010;
/** After the drain, how long aborted journeys get to unwind. */
const ABORT_GRACE_MS = 5_000;

/** One signal for every request in flight: thousands of listeners on it are expected. */
function abortController(): AbortController {
  const c = new AbortController();
  setMaxListeners(0, c.signal);
  return c;
}

/** One run's moving parts: the arrival pump, the journeys in flight, the counters. */
export class RunDriver {
  readonly stats: RunStats;
  readonly latency: LatencyRecorder;
  private readonly settings: JourneySettings;
  private readonly abort = abortController();
  private readonly arrivals: Iterator<Arrival>;
  private next: IteratorResult<Arrival>;
  private t0 = 0;
  private inFlight = 0;
  private issuing = true;
  private timer: NodeJS.Timeout | undefined;
  private timerFor = Infinity;
  private idle: (() => void) | undefined;
  private issuingEnded: (() => void) | undefined;

  constructor(
    private readonly scenario: Scenario,
    private readonly schedule: ArrivalSchedule,
    private readonly planner: ArrivalPlanner,
    private readonly client: GatewayClient,
    private readonly receiver: WebhookReceiver | undefined,
    shard: Shard,
  ) {
    this.stats = new RunStats(bucketWidth(schedule.durationMs));
    const models = new Set(scenario.mix.map((m) => m.name));
    this.latency = new LatencyRecorder(models.size === 1 ? scenario.mix[0]?.name : undefined);
    this.arrivals = schedule.arrivals(shard);
    this.next = this.arrivals.next();
    this.settings = {
      pollIntervalMs: scenario.poll.intervalMs,
      pollBackoff: scenario.poll.backoff,
      pollMaxIntervalMs: scenario.poll.maxIntervalMs,
      webhookTimeoutMs: scenario.webhookTimeoutMs,
      journeyTimeoutMs: scenario.journeyTimeoutMs,
      download: scenario.download,
    };
  }

  private elapsed(): number {
    return performance.now() - this.t0;
  }

  /** Run the schedule, then drain; resolves with the run's length in ms. */
  async drive(options: DriveOptions): Promise<number> {
    this.t0 = performance.now();
    const stopEarly = () => {
      this.stopIssuing();
      this.interrupt('run stopped');
    };
    options.signal?.addEventListener('abort', stopEarly, { once: true });
    const progress = options.onProgress
      ? setInterval(() => options.onProgress!(this.progress()), options.progressEveryMs ?? 1000)
      : undefined;
    // At the end, start what is due if there is room; what still waits for a slot is dropped.
    const ended = setTimeout(() => {
      this.pump();
      this.stopIssuing();
    }, this.schedule.durationMs);
    try {
      if (options.signal?.aborted) stopEarly();
      this.pump();
      await this.whenIssuingEnds();
      await this.drained(this.scenario.drainTimeoutMs);
      if (this.inFlight > 0) {
        this.interrupt('drain timeout');
        await this.drained(ABORT_GRACE_MS);
      }
      return this.elapsed();
    } finally {
      clearTimeout(ended);
      clearTimeout(this.timer);
      clearInterval(progress);
      options.signal?.removeEventListener('abort', stopEarly);
    }
  }

  /** End every journey in flight: requests fail at once, sleeps and webhook waits reject. */
  private interrupt(why: string): void {
    this.abort.abort(new Error(why));
    this.client.abort();
  }

  private whenIssuingEnds(): Promise<void> {
    return this.issuing ? new Promise((resolve) => (this.issuingEnded = resolve)) : Promise.resolve();
  }

  private stopIssuing(): void {
    if (!this.issuing) return;
    this.issuing = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.issuingEnded?.();
  }

  private drained(limitMs: number): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, limitMs);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.idle = done;
    });
  }

  /**
   * Start every arrival that is due at `now`, up to max in flight; otherwise wait for its time
   * or a free slot.
   */
  private pump(now = this.elapsed()): void {
    if (!this.issuing) return;
    while (this.inFlight < this.scenario.maxInFlight) {
      if (this.next.done) return this.stopIssuing();
      const arrival = this.next.value;
      if (arrival.atMs > now) return this.wake(arrival.atMs, now);
      this.next = this.arrivals.next();
      this.launch(this.planner.plan(arrival), now);
    }
  }

  private wake(atMs: number, now: number): void {
    if (this.timer !== undefined && this.timerFor <= atMs) return;
    clearTimeout(this.timer);
    this.timerFor = atMs;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerFor = Infinity;
      this.pump();
    }, atMs - now);
  }

  private launch(plan: PlannedJourney, now: number): void {
    this.inFlight++;
    this.stats.started(plan.mix.name, plan.kind, now);
    // journey() never rejects (it counts its own errors): one `then`, no `finally` layer.
    void this.journey(plan, now).then(this.ended);
  }

  /** A journey ended at `at` (ms into the run, read once for its last step and the next start). */
  private readonly ended = (at: number): void => {
    this.inFlight--;
    if (this.issuing) this.pump(at);
    else if (this.inFlight === 0) this.idle?.();
  };

  /** Resolves with when it ended. */
  private async journey(plan: PlannedJourney, startedAt: number): Promise<number> {
    const journey = new Journey(plan.kind, this.settings);
    const model = plan.mix.name;
    const body = plan.kind === 'webhook' && this.receiver ? withCallback(plan.body, this.receiver.url) : plan.bytes;
    let now = startedAt;
    try {
      let step = journey.start();
      for (let i = 0; i < MAX_STEPS; i++) {
        for (const m of step.measures) this.latency.record(m.phase, model, m.ms);
        const action = step.action;
        if (action.type === 'done') {
          this.stats.finished(model, action.outcome, now);
          return now;
        }
        // One await per step: at high rates every extra promise layer shows in the request rate.
        let event: JourneyEvent;
        if (action.type === 'submit') event = { type: 'submitted', reply: await this.client.submit(body) };
        else if (action.type === 'poll')
          event = { type: 'polled', reply: await this.pollAfter(action.taskId, action.delayMs) };
        else if (action.type === 'await_webhook') event = await this.webhook(action.taskId, action.timeoutMs);
        else event = await this.download(action.urls);
        now = this.elapsed();
        const task =
          event.type === 'webhook'
            ? event.task
            : event.type === 'submitted' || event.type === 'polled'
              ? event.reply.task
              : undefined;
        if (event.type === 'submitted') this.stats.request('submit', event.reply.status, now);
        else if (event.type === 'polled') this.stats.request('poll', event.reply.status, now);
        if (task && isTerminal(task.status))
          this.stats.terminal(model, task.status, task.credits_charged ?? 0, plan.price);
        step = journey.on(event, now - plan.atMs);
      }
      this.stats.finished(model, { kind: 'error', code: 'too_many_steps' }, now);
    } catch (err) {
      now = this.elapsed();
      // The client turns network failures into replies: what throws is an abort of the run, or a bug.
      this.stats.finished(
        model,
        this.abort.signal.aborted ? 'interrupted' : { kind: 'error', code: `internal_${(err as Error).name}` },
        now,
      );
    }
    return now;
  }

  private async pollAfter(taskId: string, delayMs: number): Promise<Reply> {
    if (delayMs > 0) await sleep(delayMs, undefined, { signal: this.abort.signal });
    return this.client.poll(taskId);
  }

  private async webhook(taskId: string, timeoutMs: number): Promise<JourneyEvent> {
    const task: TaskSnapshot | undefined = await this.receiver!.wait(taskId, timeoutMs, this.abort.signal);
    return task ? { type: 'webhook', task } : { type: 'webhook_timeout' };
  }

  private async download(urls: string[]): Promise<JourneyEvent> {
    const results = await Promise.all(urls.map((url) => this.client.download(url)));
    const now = this.elapsed();
    let failed: string | undefined;
    for (const r of results) {
      this.stats.request('download', r.status, now);
      this.stats.counts.download_bytes += r.bytes;
      if (r.status !== 200)
        failed ??= r.status === 0 ? `download_network_${r.error ?? 'error'}` : `download_http_${r.status}`;
    }
    return failed ? { type: 'downloaded', ok: false, code: failed } : { type: 'downloaded', ok: true };
  }

  private progress(): Progress {
    const c = this.stats.counts;
    const h = this.latency.histogram('submit');
    return {
      elapsedMs: this.elapsed(),
      durationMs: this.schedule.durationMs,
      started: c.arrivals.started,
      inFlight: this.inFlight,
      completed: c.journeys.completed + c.journeys.accepted,
      failed: c.journeys.failed,
      errors: c.journeys.error + c.journeys.timeout + c.journeys.interrupted,
      p99SubmitMs: h && h.totalCount > 0 ? h.getValueAtPercentile(99) / 1000 : null,
    };
  }
}
