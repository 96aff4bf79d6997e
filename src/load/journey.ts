import type { JourneyKind } from './scenario.js';
import type { Phase } from './thresholds.js';
import { isTerminal } from '../gateway/task.js';

/** The parts of a task (spec: components.schemas.Task) a journey reads. */
export interface TaskSnapshot {
  task_id: string;
  status: string;
  credits_charged?: number;
  error?: { code: string; message?: string } | null;
  output?: { images: Array<{ url: string }> } | null;
}

/** One HTTP answer as the journey sees it; status 0 = no answer (`error` says why). */
export interface Reply {
  status: number;
  task?: TaskSnapshot;
  retryAfterMs?: number;
  error?: string;
}

export interface JourneySettings {
  pollIntervalMs: number;
  pollBackoff: number;
  pollMaxIntervalMs: number;
  webhookTimeoutMs: number;
  journeyTimeoutMs: number;
  download: boolean;
}

export type OutcomeKind = 'completed' | 'accepted' | 'failed' | 'error' | 'timeout';
export interface Outcome {
  kind: OutcomeKind;
  /** Error code: the task's (FAILED), `http_429`, `network_ECONNRESET`, `bad_response`, … */
  code?: string;
  /** The terminal (or, for submit-only journeys, accepted) task. */
  task?: TaskSnapshot;
}

export type Action =
  | { type: 'submit' }
  | { type: 'poll'; taskId: string; delayMs: number }
  | { type: 'await_webhook'; taskId: string; timeoutMs: number }
  | { type: 'download'; urls: string[] }
  | { type: 'done'; outcome: Outcome };

export type JourneyEvent =
  | { type: 'submitted'; reply: Reply }
  | { type: 'polled'; reply: Reply }
  | { type: 'webhook'; task: TaskSnapshot }
  | { type: 'webhook_timeout' }
  | { type: 'downloaded'; ok: boolean; code?: string };

export interface Measure {
  phase: Phase;
  ms: number;
}

export interface Step {
  readonly action: Action;
  readonly measures: readonly Measure[];
}

/** Every journey's first step; one object for all (steps are read, never changed). */
const START: Step = { action: { type: 'submit' }, measures: [] };

/** Polls one journey may make whatever its timeout: a bound on the loop, not a setting. */
export const MAX_POLLS = 10_000;

/** Answers worth polling again after (honouring Retry-After): overload and transient failures. */
const retryable = (r: Reply): boolean => r.status === 0 || r.status === 429 || r.status >= 500;
const replyCode = (r: Reply): string => (r.status === 0 ? `network_${r.error ?? 'error'}` : `http_${r.status}`);

/**
 * One client's journey as a state machine, free of I/O and clocks: submit → poll (growing
 * interval, Retry-After honoured) or await the webhook (polling if it is late) → download.
 * Every event carries `at`, ms since the arrival's intended send time, so what it measures is
 * corrected for coordinated omission.
 */
export class Journey {
  private state: 'new' | 'submitted' | 'downloading' | 'done' = 'new';
  private intervalMs: number;
  private polls = 0;
  private taskId = '';
  private terminal: TaskSnapshot | undefined;
  private downloadFrom = 0;

  constructor(
    readonly kind: JourneyKind,
    private readonly settings: JourneySettings,
  ) {
    this.intervalMs = settings.pollIntervalMs;
  }

  get done(): boolean {
    return this.state === 'done';
  }

  start(): Step {
    if (this.state !== 'new') throw new Error('journey already started');
    this.state = 'submitted';
    return START;
  }

  on(event: JourneyEvent, at: number): Step {
    if (this.state === 'done') throw new Error(`journey is done; got ${event.type}`);
    switch (event.type) {
      case 'submitted':
        return this.submitted(event.reply, at);
      case 'polled':
        if (event.reply.status === 200 && event.reply.task) {
          return isTerminal(event.reply.task.status)
            ? this.finished(event.reply.task, at, [])
            : this.nextPoll(at, undefined, []);
        }
        if (event.reply.status === 200) return this.end({ kind: 'error', code: 'bad_response' }, []);
        return retryable(event.reply)
          ? this.nextPoll(at, event.reply.retryAfterMs, [])
          : this.end({ kind: 'error', code: replyCode(event.reply) }, []);
      case 'webhook':
        return this.finished(event.task, at, []);
      case 'webhook_timeout':
        return at >= this.settings.journeyTimeoutMs
          ? this.end({ kind: 'timeout', code: 'journey_timeout' }, [])
          : this.poll(0);
      case 'downloaded': {
        const measures: Measure[] = [{ phase: 'download', ms: at - this.downloadFrom }];
        if (!event.ok) return this.end({ kind: 'error', code: event.code ?? 'download_failed' }, measures);
        measures.push({ phase: 'journey', ms: at });
        return this.end({ kind: 'completed', ...(this.terminal ? { task: this.terminal } : {}) }, measures);
      }
    }
  }

  private submitted(reply: Reply, at: number): Step {
    const measures: Measure[] = reply.status > 0 ? [{ phase: 'submit', ms: at }] : [];
    if (reply.status !== 200) return this.end({ kind: 'error', code: replyCode(reply) }, measures);
    if (!reply.task) return this.end({ kind: 'error', code: 'bad_response' }, measures);
    this.taskId = reply.task.task_id;
    // Sync models answer with the finished task.
    if (isTerminal(reply.task.status)) return this.finished(reply.task, at, measures);
    if (this.kind === 'submit') return this.end({ kind: 'accepted', task: reply.task }, measures);
    if (this.kind === 'webhook') {
      const timeoutMs = Math.max(0, Math.min(this.settings.webhookTimeoutMs, this.settings.journeyTimeoutMs - at));
      return { action: { type: 'await_webhook', taskId: this.taskId, timeoutMs }, measures };
    }
    return this.nextPoll(at, undefined, measures);
  }

  private nextPoll(at: number, retryAfterMs: number | undefined, measures: Measure[]): Step {
    if (at >= this.settings.journeyTimeoutMs || this.polls >= MAX_POLLS)
      return this.end({ kind: 'timeout', code: 'journey_timeout' }, measures);
    const delay = Math.min(Math.max(this.intervalMs, retryAfterMs ?? 0), this.settings.journeyTimeoutMs - at);
    this.intervalMs = Math.min(this.intervalMs * this.settings.pollBackoff, this.settings.pollMaxIntervalMs);
    return { ...this.poll(delay), measures };
  }

  private poll(delayMs: number): Step {
    this.polls++;
    return { action: { type: 'poll', taskId: this.taskId, delayMs }, measures: [] };
  }

  private finished(task: TaskSnapshot, at: number, measures: Measure[]): Step {
    measures.push({ phase: 'completion', ms: at });
    this.terminal = task;
    if (task.status === 'FAILED')
      return this.end({ kind: 'failed', code: task.error?.code ?? 'failed', task }, measures);
    const urls = (task.output?.images ?? []).map((i) => i.url);
    if (!this.settings.download || urls.length === 0) {
      measures.push({ phase: 'journey', ms: at });
      return this.end({ kind: 'completed', task }, measures);
    }
    this.state = 'downloading';
    this.downloadFrom = at;
    return { action: { type: 'download', urls }, measures };
  }

  private end(outcome: Outcome, measures: Measure[]): Step {
    this.state = 'done';
    return { action: { type: 'done', outcome }, measures };
  }
}
