import { request } from 'undici';
import { submitLoad } from './load-shapes.js';
import { measure, serveGwsim, type Run } from './plan.js';

/** The sustained run: submit rate per window, and how many of the accepted tasks had finished at the end. */
export interface Sustained {
  windows: number[];
  /** Mean submit rate over every window. */
  rps: number;
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
 * drives it in back-to-back windows; the first and the last window are compared.
 */
export async function sustainedRun(run: Run, config: string): Promise<Sustained> {
  const { sustainedWindows: count, windowSeconds } = run.plan;
  const gw = await serveGwsim(run, config, ['--time-scale', '0.001'], 'sustained');
  try {
    const windows: number[] = [];
    for (let i = 1; i <= count; i++) {
      const r = await measure(run, 'gwsim ×0.001', `window ${i}`, gw.url, submitLoad, windowSeconds);
      windows.push(r.rps);
    }
    await new Promise((resolve) => setTimeout(resolve, 500)); // the last tasks take ≤ 8 ms, their polls a few more
    const { accepted, finished } = await taskCounts(gw.url);
    const rps = windows.reduce((s, x) => s + x, 0) / windows.length;
    return { windows, rps, lastOverFirst: (windows.at(-1) ?? NaN) / (windows[0] ?? NaN), accepted, finished };
  } finally {
    await gw.stop();
  }
}
