import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Catalog } from '../../src/catalog/load-catalog.js';
import { mergeReports, totalRequests } from '../../src/load/report.js';
import { runLoad } from '../../src/load/runner.js';
import { summaryText } from '../../src/load/summary-text.js';
import { parseScenario, type Scenario } from '../../src/load/scenario.js';
import { DEV, startTestSim, type TestSim } from '../helpers/sim.js';

// Real clocks: the simulator's durations are scaled by 0.001 (a 5 s generation takes 5 ms).
let sim: TestSim;
let frozen: TestSim;
beforeAll(async () => {
  [sim, frozen] = await Promise.all([
    startTestSim({ clock: 'real', timeScale: 0.001 }),
    startTestSim({ clock: 'manual' }),
  ]);
});
afterAll(async () => {
  await Promise.all([sim?.close(), frozen?.close()]);
});

const scenario = (over: Record<string, unknown>, catalog: Catalog): Scenario =>
  parseScenario(
    {
      rate: 50,
      duration: '1s',
      poll: { interval: '5ms', backoff: 1.5, max_interval: '40ms' },
      timeouts: { drain: '5s' },
      ...over,
    },
    catalog,
  );

describe('gwsim load against a simulator', () => {
  it('runs rate × duration journeys submit → poll → download, with credits as the catalog expects', async () => {
    const before = (await sim.admin.tasks({})).length;
    const r = await runLoad({
      target: sim.url,
      key: DEV,
      scenario: scenario({ mix: [{ model: 'imagen4-fast', weight: 2 }, { model: 'cogview-4' }] }, sim.catalog),
    });
    expect(r.arrivals).toEqual({ scheduled: 50, started: 50, dropped: 0 });
    expect((await sim.admin.tasks({})).length - before).toBe(50);
    expect(r.journeys.completed + r.journeys.failed).toBe(50);
    expect(r.journeys.error + r.journeys.timeout + r.journeys.interrupted).toBe(0);
    expect(r.requests.submit).toEqual({ '200': 50 });
    expect(Object.keys(r.requests.poll)).toEqual(['200']);
    expect(r.requests.download).toEqual({ '200': r.journeys.completed });
    expect(r.download_bytes).toBeGreaterThan(0);
    expect(r.latency.submit.all.count).toBe(50);
    expect(r.latency.completion.all.count).toBe(50);
    expect(r.latency.download.all.count).toBe(r.journeys.completed);
    expect(Object.keys(r.latency.submit.models).sort()).toEqual(['cogview-4', 'imagen4-fast']);
    // Every completed task charged what the catalog says, and the balance moved by as much.
    expect(r.tasks.completed).toBe(r.journeys.completed);
    expect(r.credits.charged).toBe(r.credits.expected);
    expect(r.credits.expected).toBe(
      r.models['imagen4-fast']!.credits_expected + (r.models['cogview-4']?.credits_expected ?? 0),
    );
    expect(r.credits.balance_before! - r.credits.balance_after!).toBe(r.credits.charged);
    expect(r.timeline.buckets.reduce((s, b) => s + b.started, 0)).toBe(50);
  });

  it('takes webhooks at its own receiver instead of polling, for models that send them', async () => {
    const r = await runLoad({
      target: sim.url,
      key: DEV,
      scenario: scenario(
        {
          rate: 30,
          journeys: { webhook: 1 },
          mix: [{ model: 'imagen4-fast' }, { model: 'seedream' }],
          webhook: { timeout: '10s' },
        },
        sim.catalog,
      ),
    });
    expect(r.journey_kinds).toEqual({ poll: 0, webhook: 30, submit: 0 });
    expect(r.webhooks).toMatchObject({ received: 30, invalid: 0, late: 0, unmatched: 0 });
    expect(totalRequests({ ...r, requests: { ...r.requests, download: {}, submit: {} } }).total).toBe(0);
    expect(r.journeys.completed + r.journeys.failed).toBe(30);
    expect(r.latency.completion.all.count).toBe(30);
  });

  it('counts credits over the tasks it saw end: submit journeys see none, so credit_mismatch has no samples and fails', async () => {
    const thresholds = ['credit_mismatch == 0'];
    const submits = await runLoad({
      target: sim.url,
      key: DEV,
      scenario: scenario(
        { rate: 20, journeys: { submit: 1 }, mix: [{ model: 'imagen4-fast' }], thresholds },
        sim.catalog,
      ),
    });
    expect(submits.tasks).toEqual({ completed: 0, failed: 0 });
    expect(submits.thresholds).toEqual([{ expression: 'credit_mismatch == 0', value: null, ok: false }]);
    expect(summaryText(submits)).toMatch(/credits {5}expected 0 {2}charged 0 .*\(over the 0 tasks seen to end\)/);
    const polls = await runLoad({
      target: sim.url,
      key: DEV,
      scenario: scenario({ rate: 20, mix: [{ model: 'imagen4-fast' }], download: false, thresholds }, sim.catalog),
    });
    expect(polls.tasks.completed + polls.tasks.failed).toBe(20);
    expect(polls.thresholds).toEqual([{ expression: 'credit_mismatch == 0', value: 0, ok: true }]);
  });

  it('splits the arrivals between shards, whose merged report counts them all once', async () => {
    const s = scenario({ rate: 40, mix: [{ model: 'imagen4-fast' }], download: false }, sim.catalog);
    const shards = await Promise.all(
      [1, 2, 3].map((index) => runLoad({ target: sim.url, key: DEV, scenario: s, shard: { index, count: 3 } })),
    );
    expect(shards.map((r) => r.arrivals.started)).toEqual([14, 13, 13]);
    const merged = mergeReports(shards);
    expect(merged.arrivals).toEqual({ scheduled: 40, started: 40, dropped: 0 });
    expect(merged.latency.submit.all.count).toBe(40);
    expect(merged.shards).toEqual(['1/3', '2/3', '3/3']);
  });

  it('keeps arrivals waiting for a slot at max in flight, counts their wait, and drops what never starts', async () => {
    // cogview-4 holds each POST 3–8 ms: one at a time cannot keep up with 400 a second.
    const r = await runLoad({
      target: sim.url,
      key: DEV,
      scenario: scenario(
        { rate: 400, duration: '250ms', max_in_flight: 1, mix: [{ model: 'cogview-4' }], download: false },
        sim.catalog,
      ),
    });
    expect(r.arrivals.scheduled).toBe(100);
    expect(r.arrivals.dropped).toBeGreaterThan(0);
    expect(r.arrivals.started + r.arrivals.dropped).toBe(100);
    // Measured from intended send times, the queue shows: the last started waited far longer than one call.
    expect(r.latency.submit.all.max_ms).toBeGreaterThan(5 * r.latency.submit.all.min_ms);
    expect(r.rates.dropped_rate).toBeCloseTo(r.arrivals.dropped / 100, 9);
  });

  it('interrupts journeys still running at the drain timeout, or when stopped', async () => {
    // Under a manual clock nothing finishes: every journey polls until it is cut off.
    const drained = await runLoad({
      target: frozen.url,
      key: DEV,
      scenario: scenario(
        { rate: 20, duration: '500ms', mix: [{ model: 'imagen4-fast' }], timeouts: { drain: '200ms' } },
        frozen.catalog,
      ),
    });
    expect(drained.arrivals.started).toBe(10);
    expect(drained.journeys.interrupted).toBe(10);
    expect(drained.error_codes).toEqual({ interrupted: 10 });
    // The 500 ms schedule, then its own 200 ms drain (less a few ms: the run's start and its timers
    // are not read off one instant; CI saw 697), and never the base scenario's 5 s drain (which
    // could not end before 5.5 s, however fast the machine).
    expect(drained.elapsed_ms).toBeGreaterThanOrEqual(650);
    expect(drained.elapsed_ms).toBeLessThan(5500);

    // Stopped (as on SIGINT) once a few journeys are under way.
    const stop = new AbortController();
    let startedAtStop: number | undefined;
    const onProgress = (p: { started: number }) => {
      if (p.started < 3 || stop.signal.aborted) return;
      startedAtStop = p.started;
      stop.abort();
    };
    const stopped = await runLoad({
      target: frozen.url,
      key: DEV,
      signal: stop.signal,
      onProgress,
      progressEveryMs: 10,
      scenario: scenario({ rate: 20, duration: '10s', mix: [{ model: 'imagen4-fast' }] }, frozen.catalog),
    });
    // Counts, not wall time: the stop ends issuing at once, so nothing starts after it, and the
    // 10 s schedule (200 arrivals) is cut short.
    expect(startedAtStop).toBeGreaterThanOrEqual(3);
    expect(stopped.arrivals.started).toBe(startedAtStop);
    expect(stopped.elapsed_ms).toBeLessThan(10_000);
    expect(stopped.journeys.interrupted).toBe(stopped.arrivals.started);
    expect(stopped.arrivals.dropped).toBe(200 - stopped.arrivals.started);
  });
});
