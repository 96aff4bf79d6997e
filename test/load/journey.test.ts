import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from '../../src/load/gateway-client.js';
import { Journey, type JourneySettings, type Step, type TaskSnapshot } from '../../src/load/journey.js';

const SETTINGS: JourneySettings = {
  pollIntervalMs: 100,
  pollBackoff: 2,
  pollMaxIntervalMs: 500,
  webhookTimeoutMs: 1000,
  journeyTimeoutMs: 5000,
  download: true,
};
const task = (status: string, extra: Partial<TaskSnapshot> = {}): TaskSnapshot => ({
  task_id: 'n47abc_imagen4',
  status,
  ...extra,
});
const done = (images = 1) =>
  task('COMPLETED', {
    credits_charged: 8,
    output: {
      images: Array.from({ length: images }, (_, i) => ({ url: `http://127.0.0.1/files/n47abc_imagen4/${i}.png` })),
    },
  });
const delays = (steps: Step[]) => steps.map((s) => (s.action.type === 'poll' ? s.action.delayMs : s.action.type));

describe('journey state machine', () => {
  it('polls with a growing interval, then downloads, measuring from the intended send time', () => {
    const j = new Journey('poll', SETTINGS);
    expect(j.start().action).toEqual({ type: 'submit' });
    const steps: Step[] = [j.on({ type: 'submitted', reply: { status: 200, task: task('IN_QUEUE') } }, 12)];
    expect(steps[0]!.measures).toEqual([{ phase: 'submit', ms: 12 }]);
    for (const at of [120, 330, 740, 1250])
      steps.push(j.on({ type: 'polled', reply: { status: 200, task: task('IN_PROGRESS') } }, at));
    // 100, 200, 400, then capped at 500.
    expect(delays(steps)).toEqual([100, 200, 400, 500, 500]);
    const finished = j.on({ type: 'polled', reply: { status: 200, task: done(2) } }, 1760);
    expect(finished.action).toEqual({
      type: 'download',
      urls: ['http://127.0.0.1/files/n47abc_imagen4/0.png', 'http://127.0.0.1/files/n47abc_imagen4/1.png'],
    });
    expect(finished.measures).toEqual([{ phase: 'completion', ms: 1760 }]);
    const end = j.on({ type: 'downloaded', ok: true }, 1790);
    expect(end.measures).toEqual([
      { phase: 'download', ms: 30 },
      { phase: 'journey', ms: 1790 },
    ]);
    expect(end.action).toMatchObject({ type: 'done', outcome: { kind: 'completed', task: { credits_charged: 8 } } });
    expect(j.done).toBe(true);
    expect(() => j.on({ type: 'downloaded', ok: true }, 1800)).toThrow(/done/);
  });

  it('honours Retry-After on 429 and 503 and retries network failures; gives up on other errors', () => {
    const j = new Journey('poll', SETTINGS);
    j.start();
    j.on({ type: 'submitted', reply: { status: 200, task: task('IN_QUEUE') } }, 5);
    expect(delays([j.on({ type: 'polled', reply: { status: 429, retryAfterMs: 3000 } }, 110)])).toEqual([3000]);
    // Retry-After below the interval does not shorten it.
    expect(delays([j.on({ type: 'polled', reply: { status: 503, retryAfterMs: 0 } }, 3200)])).toEqual([400]);
    expect(delays([j.on({ type: 'polled', reply: { status: 0, error: 'ECONNRESET' } }, 3700)])).toEqual([500]);
    expect(j.on({ type: 'polled', reply: { status: 404 } }, 4300).action).toEqual({
      type: 'done',
      outcome: { kind: 'error', code: 'http_404' },
    });
  });

  it('ends a submit that fails with its status or network error, measuring only answers', () => {
    const refused = new Journey('poll', SETTINGS);
    refused.start();
    expect(refused.on({ type: 'submitted', reply: { status: 402 } }, 9)).toEqual({
      action: { type: 'done', outcome: { kind: 'error', code: 'http_402' } },
      measures: [{ phase: 'submit', ms: 9 }],
    });
    const down = new Journey('poll', SETTINGS);
    down.start();
    expect(down.on({ type: 'submitted', reply: { status: 0, error: 'ECONNREFUSED' } }, 3)).toEqual({
      action: { type: 'done', outcome: { kind: 'error', code: 'network_ECONNREFUSED' } },
      measures: [],
    });
  });

  it('finishes a sync model at submit, and reports a FAILED task with its code', () => {
    const sync = new Journey('poll', SETTINGS);
    sync.start();
    const step = sync.on({ type: 'submitted', reply: { status: 200, task: done() } }, 4200);
    expect(step.measures).toEqual([
      { phase: 'submit', ms: 4200 },
      { phase: 'completion', ms: 4200 },
    ]);
    expect(step.action.type).toBe('download');
    const failed = new Journey('poll', SETTINGS);
    failed.start();
    failed.on({ type: 'submitted', reply: { status: 200, task: task('IN_QUEUE') } }, 5);
    const end = failed.on(
      { type: 'polled', reply: { status: 200, task: task('FAILED', { error: { code: 'provider_timeout' } }) } },
      900,
    );
    expect(end.action).toMatchObject({ type: 'done', outcome: { kind: 'failed', code: 'provider_timeout' } });
    expect(end.measures).toEqual([{ phase: 'completion', ms: 900 }]);
  });

  it('waits for the webhook, falling back to polling when it is late', () => {
    const j = new Journey('webhook', SETTINGS);
    j.start();
    expect(j.on({ type: 'submitted', reply: { status: 200, task: task('IN_QUEUE') } }, 20).action).toEqual({
      type: 'await_webhook',
      taskId: 'n47abc_imagen4',
      timeoutMs: 1000,
    });
    expect(j.on({ type: 'webhook_timeout' }, 1020).action).toEqual({
      type: 'poll',
      taskId: 'n47abc_imagen4',
      delayMs: 0,
    });
    const fast = new Journey('webhook', { ...SETTINGS, download: false });
    fast.start();
    fast.on({ type: 'submitted', reply: { status: 200, task: task('IN_QUEUE') } }, 20);
    const end = fast.on({ type: 'webhook', task: done() }, 640);
    expect(end.measures).toEqual([
      { phase: 'completion', ms: 640 },
      { phase: 'journey', ms: 640 },
    ]);
    expect(end.action).toMatchObject({ type: 'done', outcome: { kind: 'completed' } });
  });

  it('times out at the journey limit, never sleeping past it', () => {
    const j = new Journey('poll', {
      ...SETTINGS,
      journeyTimeoutMs: 1000,
      pollMaxIntervalMs: 5000,
      pollIntervalMs: 800,
    });
    j.start();
    j.on({ type: 'submitted', reply: { status: 200, task: task('IN_QUEUE') } }, 50);
    expect(delays([j.on({ type: 'polled', reply: { status: 200, task: task('IN_QUEUE') } }, 860)])).toEqual([140]);
    expect(j.on({ type: 'polled', reply: { status: 200, task: task('IN_QUEUE') } }, 1000).action).toEqual({
      type: 'done',
      outcome: { kind: 'timeout', code: 'journey_timeout' },
    });
  });

  it('accepts a submit-only journey at the answer', () => {
    const j = new Journey('submit', SETTINGS);
    j.start();
    expect(j.on({ type: 'submitted', reply: { status: 200, task: task('IN_QUEUE') } }, 3).action).toMatchObject({
      type: 'done',
      outcome: { kind: 'accepted' },
    });
  });
});

describe('Retry-After', () => {
  it('reads seconds or an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('12', now)).toBe(12_000);
    expect(parseRetryAfter(['0'], now)).toBe(0);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', now)).toBe(0);
    for (const bad of [undefined, '', 'soon', '-3']) expect(parseRetryAfter(bad, now)).toBeUndefined();
  });
});
