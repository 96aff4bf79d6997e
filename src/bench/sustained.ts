import { request } from 'undici';
import { submitLoad } from './load-shapes.js';
import { combine, roundSeconds } from './paired.js';
import { measure, serveGwsim, type Run } from './plan.js';
import type { Child } from './processes.js';
import { wrk, type WrkResult } from './wrk.js';

/** The sustained run: submit rate per window, and how many of the accepted tasks had finished at the end. */
export interface Sustained {
  windows: number[];
  /** Submit rate over every window: all requests ÷ all elapsed time. */
  rps: number;
  /** The bare server's submit rate, from a round just before the first window and one just after the last. */
  bareRps: number;
  /** Those two rounds' rates, before and after: how far the machine's speed moved in the minute. */
  bareRounds: number[];
  /** `rps` ÷ `bareRps`. */
  ratio: number;
  /** The last window's rate ÷ the first's: below 1, gwsim slows down as its tasks finish. */
  lastOverFirst: number;
  accepted: number;
  finished: number;
}

/** The sum of a counter's series in gwsim's metrics whose labels match `labels`. */
const counter = (text: string, name: string, labels: RegExp): number =>
  [...text.matchAll(new RegExp(`^${name}\\{([^}]*)\\} (\\d+(?:\\.\\d+)?)$`, 'gm'))]
    .filter((m) => labels.test(m[1] ?? ''))
    .reduce((s, m) => s + Number(m[2]), 0);

/** Submits gwsim accepted, and tasks it finished (COMPLETED or FAILED), from its metrics. */
async function taskCounts(url: string): Promise<{ accepted: number; finished: number }> {
  const text = await (await request(`${url}/_sim/metrics`)).body.text();
  return {
    accepted: counter(text, 'gwsim_requests_total', /operation="createImageGeneration",status="200"/),
    finished: counter(text, 'gwsim_tasks_total', /./),
  };
}

/**
 * The scenario users run: `gwsim serve --time-scale 0.001`, so every accepted task runs its whole
 * life (dispatch, polls, capture, metrics) within milliseconds while submits keep coming. wrk
 * drives it in back-to-back windows; the first and the last window are compared. The bare
 * server (up throughout, warmed by the steps before) is measured just before the first window and
 * just after the last (B G … G B), so its rate is of the same minute, not of the bench's start.
 * gwsim is warmed first, as every paired step warms its sides: a fresh process's first seconds
 * run at a fraction of its rate (JIT), which would slow the first window and make a decay over
 * the minute look like none.
 */
export async function sustainedRun(run: Run, config: string, bare: Child): Promise<Sustained> {
  const { sustainedWindows: count, windowSeconds } = run.plan;
  const gw = await serveGwsim(run, config, ['--time-scale', '0.001'], 'sustained');
  try {
    const roundLength = roundSeconds(windowSeconds); // of the warm-up and of each bare round
    await wrk(gw.url, submitLoad, roundLength);
    const bareRuns: WrkResult[] = [await measure(run, 'bare node:http', 'before', bare.url, submitLoad, roundLength)];
    const runs: WrkResult[] = [];
    for (let i = 1; i <= count; i++)
      runs.push(await measure(run, 'gwsim ×0.001', `window ${i}`, gw.url, submitLoad, windowSeconds));
    bareRuns.push(await measure(run, 'bare node:http', 'after', bare.url, submitLoad, roundLength));
    await new Promise((resolve) => setTimeout(resolve, 500)); // the last tasks take ≤ 8 ms, their polls a few more
    const { accepted, finished } = await taskCounts(gw.url);
    const windows = runs.map((r) => r.rps);
    const rps = combine(runs).rps;
    const bareRps = combine(bareRuns).rps;
    return {
      windows,
      rps,
      bareRps,
      bareRounds: bareRuns.map((r) => r.rps),
      ratio: rps / bareRps,
      lastOverFirst: (windows.at(-1) ?? NaN) / (windows[0] ?? NaN),
      accepted,
      finished,
    };
  } finally {
    await gw.stop();
  }
}
