import { describe, expect, it } from 'vitest';
import { bareFirst, combine, roundSeconds } from '../../src/bench/paired.js';
import type { WrkResult } from '../../src/bench/wrk.js';
import { ROOT } from '../helpers/cli.js';

// The real step spawns the built bare server; global setup builds dist/.
const bench = async () => ({
  ...((await import(`${ROOT}dist/bench/paired.js`)) as typeof import('../../src/bench/paired.js')),
  ...((await import(`${ROOT}dist/bench/plan.js`)) as typeof import('../../src/bench/plan.js')),
  ...((await import(`${ROOT}dist/bench/processes.js`)) as typeof import('../../src/bench/processes.js')),
  ...((await import(`${ROOT}dist/bench/load-shapes.js`)) as typeof import('../../src/bench/load-shapes.js')),
  ...((await import(`${ROOT}dist/bench/wrk.js`)) as typeof import('../../src/bench/wrk.js')),
});

const result = (requests: number, seconds: number, more: Partial<WrkResult> = {}): WrkResult => ({
  rps: requests / seconds,
  p99Ms: 1,
  requests,
  errors: 0,
  ...more,
});

describe('the bench paired step', () => {
  it('alternates A B B A, so neither side always goes first', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map(bareFirst)).toEqual([true, false, false, true, true, false, false, true]);
  });

  it('combines runs as all requests over all elapsed time, the worst p99 and every error', () => {
    // 1000 requests in 1 s and 3000 in 3 s: 1000 req/s over both, not the mean of rates weighted by run.
    const c = combine([result(1000, 1, { p99Ms: 4, errors: 2 }), result(3000, 3, { p99Ms: 9, errors: 1 })]);
    expect(c).toEqual({ rps: 1000, p99Ms: 9, requests: 4000, errors: 3 });
    // Runs of unequal rate: 100 in 1 s and 900 in 1 s is 500 req/s.
    expect(combine([result(100, 1), result(900, 1)]).rps).toBe(500);
    expect(combine([])).toEqual({ rps: 0, p99Ms: 0, requests: 0, errors: 0 });
  });

  it('rounds last half a measure, in whole seconds, at least one', () => {
    expect([1, 2, 5, 10].map(roundSeconds)).toEqual([1, 1, 2, 5]);
  });

  it('runs both real servers in alternating rounds and reports each side combined', async (ctx) => {
    const { paired, startChild, BARE, LISTENING, submitLoad, haveWrk, QUICK } = await bench();
    if (!(await haveWrk())) ctx.skip();
    const a = await startChild(process.execPath, [BARE, '0'], LISTENING);
    const b = await startChild(process.execPath, [BARE, '0'], LISTENING);
    try {
      const run = { rows: [], plan: QUICK };
      const p = await paired(run, 'submit', { child: a, load: submitLoad }, { child: b, load: submitLoad }, 1);
      expect(p.rounds.map((r) => r.first)).toEqual(['bare', 'gwsim', 'gwsim', 'bare']);
      expect(p.bare).toEqual(combine(p.rounds.map((r) => r.bare)));
      expect(p.gwsim).toEqual(combine(p.rounds.map((r) => r.gwsim)));
      expect(p.ratio).toBe(p.gwsim.rps / p.bare.rps);
      expect(p.bare.errors + p.gwsim.errors).toBe(0);
      expect(run.rows).toEqual([
        { target: 'bare node:http', scenario: 'submit', rps: Math.round(p.bare.rps), p99_ms: p.bare.p99Ms, errors: 0 },
        { target: 'gwsim', scenario: 'submit', rps: Math.round(p.gwsim.rps), p99_ms: p.gwsim.p99Ms, errors: 0 },
      ]);
    } finally {
      await a.stop();
      await b.stop();
    }
  }, 60_000);
});
