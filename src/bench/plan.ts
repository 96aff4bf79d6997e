import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { freePort, startChild, type Child } from './processes.js';
import { HEADERS, SUBMIT_BODY, SUBMIT_PATH, pollLoad, submitLoad } from './load-shapes.js';
import { wrk, type WrkLoad, type WrkResult } from './wrk.js';

/** How long and how big each measure runs: the full bench, or `--quick`'s smoke run. */
export interface Plan {
  seconds: number;
  /** Tasks held in flight for the RSS measure. */
  inFlight: number;
  /** Starts timed for the ready measures (gwsim and bare node:http). */
  starts: number;
  /** Tasks created for the poll measures to cycle through. */
  pollTasks: number;
  /** The sustained run at time scale 0.001: windows of `windowSeconds`, back to back. */
  sustainedWindows: number;
  windowSeconds: number;
  /** Tasks in flight, and seconds watched, for the timer lateness measure. */
  latenessTasks: number;
  latenessSeconds: number;
  /** Submits sampled for allocation per submit. */
  allocSubmits: number;
}
export const FULL: Plan = {
  seconds: 5,
  inFlight: 100_000,
  starts: 5,
  pollTasks: 1000,
  sustainedWindows: 6,
  windowSeconds: 10,
  latenessTasks: 10_000,
  latenessSeconds: 10,
  allocSubmits: 10_000,
};
export const QUICK: Plan = {
  seconds: 1,
  inFlight: 2000,
  starts: 1,
  pollTasks: 200,
  sustainedWindows: 2,
  windowSeconds: 1,
  latenessTasks: 1000,
  latenessSeconds: 1,
  allocSubmits: 1000,
};
/** The RSS and lateness targets hold for the full bench's task counts. */
export const RSS_TARGET_IN_FLIGHT = 100_000;
export const LATENESS_TARGET_TASKS = 10_000;

export interface Row {
  target: string;
  scenario: string;
  rps: number;
  p99_ms: number;
  errors: number;
}

/** The rows measured so far, the plan they follow, and where CPU profiles go (`--profile DIR`). */
export interface Run {
  rows: Row[];
  plan: Plan;
  profileDir?: string | undefined;
}

const here = (rel: string) => fileURLToPath(new URL(rel, import.meta.url));
/** The bundled bin (package.json's `bin`), so the bench starts gwsim as users do. */
export const CLI = here('../gwsim.js');
export const BARE = here('./bare-server.js');
export const LISTENING = /listening on (http:\/\/[\d.:]+)/;

/** `gwsim serve` with the bench config; under `--profile DIR` it writes DIR/gwsim-<name>.cpuprofile on exit. */
export async function serveGwsim(run: Run, config: string, extra: string[] = [], name?: string): Promise<Child> {
  const profile =
    run.profileDir && name
      ? ['--cpu-prof', '--cpu-prof-dir', run.profileDir, '--cpu-prof-name', `gwsim-${name}.cpuprofile`]
      : [];
  return startChild(
    process.execPath,
    // Request lines off: the bench measures the simulator, and this process would keep every line it read.
    [...profile, CLI, 'serve', '--port', String(await freePort()), '--config', config, '--log-level', 'warn', ...extra],
    LISTENING,
  );
}

export async function measure(
  run: Run,
  target: string,
  scenario: string,
  url: string,
  load: WrkLoad,
  seconds = run.plan.seconds,
): Promise<WrkResult> {
  process.stderr.write(`  ${target} ${scenario} …`);
  const r = await wrk(url, load, seconds);
  process.stderr.write(` ${Math.round(r.rps)} req/s\n`);
  run.rows.push({ target, scenario, rps: Math.round(r.rps), p99_ms: r.p99Ms, errors: r.errors });
  return r;
}

/** Create `count` tasks over keep-alive connections; returns their ids. */
export async function submitMany(baseUrl: string, count: number, concurrency = 64): Promise<string[]> {
  const agent = new Agent({ connections: concurrency, pipelining: 1 });
  const ids: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      const res = await request(`${baseUrl}${SUBMIT_PATH}`, {
        method: 'POST',
        headers: HEADERS,
        body: SUBMIT_BODY,
        dispatcher: agent,
      });
      const body = (await res.body.json()) as { data?: { task_id?: string } };
      if (res.statusCode !== 200 || !body.data?.task_id)
        throw new Error(`submit failed: ${res.statusCode} ${JSON.stringify(body)}`);
      ids.push(body.data.task_id);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  await agent.close();
  return ids;
}

export const median = (xs: readonly number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/** Median time to ready of `starts` starts of a server process. */
export async function readyMs(starts: number, start: () => Promise<Child>): Promise<number> {
  const readies: number[] = [];
  for (let i = 0; i < starts; i++) {
    const c = await start();
    readies.push(c.readyMs);
    await c.stop();
  }
  return median(readies);
}

/**
 * One `gwsim serve` setup under the same two loads: submits, then polls of tasks it has in
 * flight; the process is stopped after. `name` (with --profile) names its CPU profile.
 */
export async function submitAndPoll(
  run: Run,
  target: string,
  config: string,
  extra: string[] = [],
  name?: string,
): Promise<{ submit: WrkResult; poll: WrkResult }> {
  const gw = await serveGwsim(run, config, extra, name);
  try {
    const submit = await measure(run, target, 'submit', gw.url, submitLoad);
    const poll = await measure(run, target, 'poll', gw.url, pollLoad(await submitMany(gw.url, run.plan.pollTasks)));
    return { submit, poll };
  } finally {
    await gw.stop();
  }
}
