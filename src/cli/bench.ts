import { writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { freePort, rssBytes, startChild, startPrism, type Child } from '../bench/processes.js';
import { haveWrk, wrk, type WrkLoad, type WrkResult } from '../bench/wrk.js';
import { paths } from '../paths.js';
import { loadCatalog } from '../catalog/load-catalog.js';
import { MAX_ARRIVALS, parseScenario } from '../load/scenario.js';
import { runLoad } from '../load/runner.js';
import { totalRequests } from '../load/report.js';
import { prismBin } from '../optional-deps.js';
import { StartupError } from '../startup-error.js';

const KEY = 'aio_bench';
const SUBMIT_BODY = JSON.stringify({
  model: 'imagen4',
  prompt: 'A photorealistic bowl of ramen with steam rising',
  aspect_ratio: '1:1',
});
const HEADERS = { 'Content-Type': 'application/json', Authorization: `Bearer ${KEY}` };

/** How long and how big each measure runs: the full bench, or `--quick`'s smoke run. */
interface Plan {
  seconds: number;
  /** Tasks held in flight for the RSS measure. */
  inFlight: number;
  /** Starts timed for the ready measure. */
  starts: number;
  /** Tasks created for the poll measures to cycle through. */
  pollTasks: number;
}
const FULL: Plan = {
  seconds: Number(process.env.GWSIM_BENCH_SECONDS ?? 5),
  inFlight: 100_000,
  starts: 5,
  pollTasks: 1000,
};
const QUICK: Plan = { seconds: 1, inFlight: 2000, starts: 1, pollTasks: 200 };
/** The RSS target holds for the full bench's 100k tasks in flight. */
const RSS_TARGET_IN_FLIGHT = 100_000;
type Autocannon = typeof import('autocannon');

const here = (rel: string) => fileURLToPath(new URL(rel, import.meta.url));
const CLI = here('./main.js');
const BARE = here('../bench/bare-server.js');
const LISTENING = /listening on (http:\/\/[\d.:]+)/;

/** A config for the bench: a key that never runs out and never meets its rate limit. */
function benchConfig(transport: 'in-process' | 'http'): string {
  const dir = mkdtempSync(join(tmpdir(), 'gwsim-bench-'));
  const file = join(dir, `bench.${transport}.yaml`);
  writeFileSync(
    file,
    `node_transport: ${transport}\nkeys:\n  - key: ${KEY}\n    credits: 1000000000000\n    rate_limit: { requests: 1000000000, window_s: 1 }\n`,
  );
  return file;
}

async function serveGwsim(config: string, extra: string[] = []): Promise<Child> {
  return startChild(
    process.execPath,
    [CLI, 'serve', '--port', String(await freePort()), '--config', config, ...extra],
    LISTENING,
  );
}

/** Create `count` tasks over keep-alive connections; returns their ids. */
async function submitMany(baseUrl: string, count: number, concurrency = 64): Promise<string[]> {
  const agent = new Agent({ connections: concurrency, pipelining: 1 });
  const ids: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next++;
      const res = await request(`${baseUrl}/api/v1/images/generations`, {
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

interface Row {
  target: string;
  scenario: string;
  rps: number;
  p99_ms: number;
  errors: number;
}

const submitLoad: WrkLoad = {
  method: 'POST',
  headers: HEADERS,
  body: SUBMIT_BODY,
  paths: ['/api/v1/images/generations'],
};

/** The rows measured so far, and the plan they follow. */
interface Run {
  rows: Row[];
  plan: Plan;
}

async function measure(run: Run, target: string, scenario: string, url: string, load: WrkLoad): Promise<WrkResult> {
  process.stderr.write(`  ${target} ${scenario} …`);
  const r = await wrk(url, load, run.plan.seconds);
  process.stderr.write(` ${Math.round(r.rps)} req/s\n`);
  run.rows.push({ target, scenario, rps: Math.round(r.rps), p99_ms: r.p99Ms, errors: r.errors });
  return r;
}

/**
 * `gwsim load`'s request rate against the bare server as a ratio to autocannon's, both with 32
 * connections and the same body. The generator runs submit-only journeys at an arrival rate far
 * above what the server takes, so max in flight (32) paces it as connections pace autocannon.
 * Two rounds, interleaved, best of each: this machine's noise is larger than the difference.
 */
async function loadVsAutocannon(seconds: number, autocannon: Autocannon): Promise<number> {
  const bare = await startChild(process.execPath, [BARE, '0'], LISTENING);
  try {
    const url = `${bare.url}/api/v1/images/generations`;
    const cannon = { url, method: 'POST' as const, headers: HEADERS, body: SUBMIT_BODY, connections: 32 };
    const scenario = parseScenario(
      {
        name: 'bench',
        rate: Math.min(200_000, Math.floor(MAX_ARRIVALS / seconds)),
        duration: seconds * 1000,
        max_in_flight: 32,
        journeys: { submit: 1 },
        mix: [{ model: 'imagen4', params: { aspect_ratio: '1:1' } }],
        download: false,
      },
      loadCatalog(),
    );
    await autocannon({ ...cannon, duration: 1 }); // warm the server, for whichever runs first
    let best = { cannon: 0, load: 0 };
    for (let round = 1; round <= 2; round++) {
      process.stderr.write(`  bare node:http submit, round ${round}: autocannon …`);
      const ac = (await autocannon({ ...cannon, duration: seconds })).requests.average;
      process.stderr.write(` ${Math.round(ac)} req/s, gwsim load …`);
      const report = await runLoad({ target: bare.url, key: KEY, scenario });
      const rps = totalRequests(report).total / (report.elapsed_ms / 1000);
      process.stderr.write(` ${Math.round(rps)} req/s\n`);
      best = { cannon: Math.max(best.cannon, ac), load: Math.max(best.load, rps) };
    }
    return best.load / best.cannon;
  } finally {
    await bare.stop();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** gwsim on a Redis store (a redis-server of its own on a free port): submit and poll as ratios to memory. */
async function redisVsMemory(
  run: Run,
  memSubmit: WrkResult,
  memPoll: WrkResult,
): Promise<{ submit: number; poll: number } | undefined> {
  const port = await freePort();
  let redis: Child;
  try {
    redis = await startChild(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      /(Ready to accept connections)/,
      10_000,
    );
  } catch {
    process.stderr.write('  (no redis-server on PATH: the Redis rows are skipped; apt-get install -y redis-server)\n');
    return undefined;
  }
  try {
    const gw = await serveGwsim(benchConfig('in-process'), ['--store', `redis://127.0.0.1:${port}/0`]);
    const submit = await measure(run, 'gwsim redis store', 'submit', gw.url, submitLoad);
    const ids = await submitMany(gw.url, run.plan.pollTasks);
    const poll = await measure(run, 'gwsim redis store', 'poll', gw.url, {
      method: 'GET',
      headers: HEADERS,
      paths: ids.map((id) => `/api/v1/tasks/${id}`),
    });
    await gw.stop();
    return { submit: submit.rps / memSubmit.rps, poll: poll.rps / memPoll.rps };
  } finally {
    await redis.stop();
  }
}

export async function bench(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: { json: { type: 'string' }, quick: { type: 'boolean' } },
  });
  const plan = values.quick ? QUICK : FULL;
  // Everything it needs, checked before anything runs.
  if (!(await haveWrk())) throw new StartupError('gwsim bench needs wrk: apt-get install -y wrk');
  prismBin('gwsim bench');
  const { default: autocannon } = await import('autocannon');
  const config = benchConfig('in-process');
  const run: Run = { rows: [], plan };
  const rows = run.rows;
  process.stderr.write(
    `gwsim bench${values.quick ? ' --quick' : ''}: wrk, 1 thread, 32 connections, ${plan.seconds} s per run\n`,
  );

  const bare = await startChild(process.execPath, [BARE, '0'], LISTENING);
  const bareSubmit = await measure(run, 'bare node:http', 'submit', bare.url, submitLoad);
  const barePoll = await measure(run, 'bare node:http', 'poll', bare.url, {
    method: 'GET',
    headers: HEADERS,
    paths: ['/api/v1/tasks/n47bare_imagen4'],
  });
  await bare.stop();
  const loadRatio = await loadVsAutocannon(plan.seconds, autocannon);

  const prism = await startPrism(['mock', paths.gatewaySpec], 'gwsim bench');
  const prismSubmit = await measure(run, 'prism mock', 'submit', prism.url, submitLoad);
  await prism.stop();

  const gw = await serveGwsim(config);
  const gwSubmit = await measure(run, 'gwsim', 'submit', gw.url, submitLoad);
  const ids = await submitMany(gw.url, plan.pollTasks);
  const gwPoll = await measure(run, 'gwsim', 'poll', gw.url, {
    method: 'GET',
    headers: HEADERS,
    paths: ids.map((id) => `/api/v1/tasks/${id}`),
  });
  await gw.stop();

  // The same with every gateway → node call over HTTP to nodes on loopback ports.
  const gwHttp = await serveGwsim(benchConfig('http'));
  const httpSubmit = await measure(run, 'gwsim http nodes', 'submit', gwHttp.url, submitLoad);
  const httpIds = await submitMany(gwHttp.url, plan.pollTasks);
  const httpPoll = await measure(run, 'gwsim http nodes', 'poll', gwHttp.url, {
    method: 'GET',
    headers: HEADERS,
    paths: httpIds.map((id) => `/api/v1/tasks/${id}`),
  });
  await gwHttp.stop();

  // The same again on the Redis store (a redis-server started here), against the memory store above.
  const redisRatios = await redisVsMemory(run, gwSubmit, gwPoll);

  const readies: number[] = [];
  for (let i = 0; i < plan.starts; i++) {
    const c = await serveGwsim(config);
    readies.push(c.readyMs);
    await c.stop();
  }

  // The manual clock keeps every task in flight: 100k timers, holds and task records at once.
  const held = await serveGwsim(config, ['--clock', 'manual']);
  const rssBefore = rssBytes(held.proc.pid!);
  await submitMany(held.url, plan.inFlight);
  const rss = rssBytes(held.proc.pid!);
  await held.stop();

  const ratio = (a: WrkResult, b: WrkResult) => a.rps / b.rps;
  const checks = [
    { name: 'submit gwsim/bare', value: ratio(gwSubmit, bareSubmit), target: 0.3, better: 'higher' },
    { name: 'submit gwsim/prism', value: ratio(gwSubmit, prismSubmit), target: 4, better: 'higher' },
    { name: 'poll gwsim/bare', value: ratio(gwPoll, barePoll), target: 0.35, better: 'higher' },
    { name: 'load generator/autocannon req/s', value: loadRatio, target: 1, better: 'higher' },
    { name: 'submit http-nodes/in-process', value: ratio(httpSubmit, gwSubmit), target: 0, better: 'report' },
    { name: 'poll http-nodes/in-process', value: ratio(httpPoll, gwPoll), target: 0, better: 'report' },
    ...(redisRatios
      ? [
          { name: 'submit redis/memory store', value: redisRatios.submit, target: 0.5, better: 'higher' },
          { name: 'poll redis/memory store', value: redisRatios.poll, target: 0, better: 'report' },
        ]
      : []),
    { name: `ready ms (median of ${plan.starts})`, value: median(readies), target: 500, better: 'lower' },
    {
      name: `RSS MB, ${plan.inFlight / 1000}k tasks in flight`,
      value: rss / 2 ** 20,
      target: 300,
      better: plan.inFlight === RSS_TARGET_IN_FLIGHT ? 'lower' : 'report',
    },
  ].map((c) => ({
    ...c,
    met: c.better === 'report' ? null : c.better === 'higher' ? c.value >= c.target : c.value < c.target,
  }));

  const out = process.stdout;
  out.write('\ntarget            scenario  req/s    p99 ms  errors\n');
  for (const r of rows)
    out.write(
      `${r.target.padEnd(18)}${r.scenario.padEnd(10)}${String(r.rps).padEnd(9)}${r.p99_ms.toFixed(2).padEnd(8)}${r.errors}\n`,
    );
  out.write('\nmeasure                          value     target   met\n');
  for (const c of checks) {
    const target = c.better === 'report' ? '(reported)' : (c.better === 'higher' ? '≥ ' : '< ') + c.target;
    out.write(
      `${c.name.padEnd(33)}${c.value.toFixed(2).padEnd(10)}${target}`.padEnd(53) +
        `${c.met === null ? '' : c.met ? 'yes' : 'NO'}\n`,
    );
  }
  out.write(`\n(RSS before the ${plan.inFlight / 1000}k submits: ${(rssBefore / 2 ** 20).toFixed(1)} MB)\n`);
  if (values.json)
    writeFileSync(
      values.json,
      JSON.stringify(
        {
          seconds: plan.seconds,
          quick: values.quick === true,
          in_flight: plan.inFlight,
          rows,
          checks,
          rss_before_mb: rssBefore / 2 ** 20,
        },
        null,
        2,
      ),
    );
}
