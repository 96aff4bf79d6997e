import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { paths } from '../paths.js';
import { measureAllocation } from './alloc.js';
import { timerLateness } from './lateness.js';
import { benchConfig, submitLoad } from './load-shapes.js';
import { LOAD_FLOOR_TARGET, loadGeneratorRates } from './load-generator.js';
import {
  BARE,
  FULL,
  LATENESS_TARGET_TASKS,
  LISTENING,
  QUICK,
  RSS_TARGET_IN_FLIGHT,
  measure,
  readyMs,
  serveGwsim,
  submitAndPoll,
  type Run,
} from './plan.js';
import { pairedSubmitAndPoll, perPassBaseline, type Paired } from './paired.js';
import { startChild, startPrism } from './processes.js';
import { inFlightMemory } from './memory.js';
import { redisVsMemory } from './redis-step.js';
import { printReport, writeJson, type Check } from './report.js';
import { sustainedRun, type Sustained } from './sustained.js';
import type { WrkResult } from './wrk.js';

type Autocannon = typeof import('autocannon');

export interface BenchOptions {
  quick: boolean;
  json?: string | undefined;
  /** Write CPU profiles of the gwsim processes under benchmark here. */
  profile?: string | undefined;
  autocannon: Autocannon;
  /** Seconds per measure of the full bench (the CLI reads GWSIM_BENCH_SECONDS; default 5). */
  seconds?: number | undefined;
}

const MB = 2 ** 20;

/** A paired ratio's baseline: its bare side's rate in each round. */
const baselineOf = (p: Paired): number[] => p.rounds.map((r) => r.bare.rps);

/** A paired ratio's raw figures: both sides' combined rates and each round's ratio. */
const pairNote = (p: Paired): string =>
  `(${Math.round(p.gwsim.rps)} / ${Math.round(p.bare.rps)} req/s; rounds ${p.rounds.map((r) => (r.gwsim.rps / r.bare.rps).toFixed(2)).join(', ')})`;

/** Every step, one after another, then the table and the measures against their targets. */
export async function runBench(options: BenchOptions): Promise<void> {
  const plan = options.quick ? QUICK : { ...FULL, seconds: options.seconds ?? FULL.seconds };
  const profileDir = options.profile && resolve(options.profile);
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const run: Run = { rows: [], plan, profileDir };
  const config = benchConfig('in-process');
  process.stderr.write(
    `gwsim bench${options.quick ? ' --quick' : ''}: wrk, 1 thread, 32 connections, ${plan.seconds} s per run\n`,
  );

  const load = await loadGeneratorRates(plan.seconds, options.autocannon);

  const prism = await startPrism(['mock', paths.gatewaySpec], 'gwsim bench');
  const prismSubmit = await measure(run, 'prism mock', 'submit', prism.url, submitLoad);
  await prism.stop();

  // The bare baseline stays up beside gwsim, so each ratio is of runs minutes apart at most.
  const bare = await startChild(process.execPath, [BARE, '0'], LISTENING);
  let paired: { submit: Paired; poll: Paired };
  let sustained: Sustained;
  let perPass: Paired;
  try {
    // Time scale 1: tasks stay in flight, so this is the cost of a submit and a poll alone.
    paired = await pairedSubmitAndPoll(run, bare, config);
    // What users run: time scale 0.001, every task finishing while submits go on.
    sustained = await sustainedRun(run, config, bare);
    // gwsim writes a pass's answers together; the same bare server doing so says what that alone is worth.
    perPass = await perPassBaseline(run, bare);
  } finally {
    await bare.stop();
  }
  const gwSubmit = paired.submit.gwsim;
  const gwPoll = paired.poll.gwsim;

  // The same with every gateway → node call over HTTP to nodes on loopback ports.
  const { submit: httpSubmit, poll: httpPoll } = await submitAndPoll(run, 'gwsim http nodes', benchConfig('http'));

  // The Redis store (a redis-server started here) against the memory store, in rounds of their own.
  const redis = await redisVsMemory(run, config);

  process.stderr.write(`  ready: gwsim and bare node:http, median of ${plan.starts} starts each …`);
  const gwReady = await readyMs(plan.starts, () => serveGwsim(run, config));
  const bareReady = await readyMs(plan.starts, () => startChild(process.execPath, [BARE, '0'], LISTENING));
  process.stderr.write(` ${gwReady.toFixed(0)} / ${bareReady.toFixed(0)} ms\n`);

  // Time scale 1 keeps the tasks in flight (an imagen4 job runs for seconds; the node queues the rest).
  process.stderr.write(`  RSS with ${plan.inFlight} tasks in flight, real clock …`);
  const memory = await inFlightMemory(config, plan.inFlight);
  process.stderr.write(
    ` ${(memory.rssBytes / MB).toFixed(0)} MB, heap ${memory.heapPerTaskBytes.toFixed(0)} B a task (${memory.submitSeconds.toFixed(1)} s of submits)\n`,
  );

  process.stderr.write(`  timer lateness with ${plan.latenessTasks} tasks in flight, real clock …`);
  const lateness = await timerLateness(plan.latenessTasks, plan.latenessSeconds);
  process.stderr.write(` p99 ${lateness.p99Ms.toFixed(2)} ms\n`);

  process.stderr.write(`  allocation per submit (${plan.allocSubmits} submits, time scale 0.001) …`);
  const alloc = await measureAllocation(plan.allocSubmits);
  process.stderr.write(
    ` ${(alloc.gwsimBytes / 1024).toFixed(1)} KB (bare ${(alloc.bareBytes / 1024).toFixed(1)} KB)\n`,
  );

  const ratio = (a: WrkResult, b: WrkResult) => a.rps / b.rps;
  const ac = load.autocannon;
  const checks: Check[] = [
    {
      name: 'submit gwsim/bare',
      value: paired.submit.ratio,
      target: 0.3,
      better: 'higher',
      note: pairNote(paired.submit),
      baseline: baselineOf(paired.submit),
    },
    {
      name: 'bare per-pass answers/bare',
      value: perPass.ratio,
      target: 0,
      better: 'report',
      note: pairNote(perPass),
    },
    // Both ratios are to the same bare process: their quotient is gwsim ÷ the per-pass bare server.
    {
      name: 'submit gwsim/bare per-pass answers',
      value: paired.submit.ratio / perPass.ratio,
      target: 0,
      better: 'report',
    },
    { name: 'submit gwsim/prism', value: ratio(gwSubmit, prismSubmit), target: 4, better: 'higher' },
    {
      name: 'poll gwsim/bare',
      value: paired.poll.ratio,
      target: 0.35,
      better: 'higher',
      note: pairNote(paired.poll),
      baseline: baselineOf(paired.poll),
    },
    {
      name: 'sustained ×0.001 submit/bare',
      value: sustained.ratio,
      target: 0.3,
      better: 'higher',
      note: `(${Math.round(sustained.rps)} / ${Math.round(sustained.bareRps)} req/s; ${sustained.finished} of ${sustained.accepted} tasks finished)`,
      baseline: sustained.bareRounds,
    },
    {
      name: `sustained last/first ${plan.windowSeconds} s rate`,
      value: sustained.lastOverFirst,
      target: 0.9,
      better: 'higher',
      note: `(${sustained.windows.map(Math.round).join(', ')} req/s; bare before and after ${sustained.bareRounds.map(Math.round).join(', ')})`,
      // The windows run between bare's two rounds: a machine that slowed between them slowed the windows too.
      baseline: sustained.bareRounds,
    },
    // Judged against its own client's floor (src/bench/load-generator.ts says why); autocannon is reported.
    {
      name: 'load generator/undici floor req/s',
      value: load.gwsimLoad / load.floor,
      target: LOAD_FLOOR_TARGET,
      better: 'higher',
      note: `(${Math.round(load.gwsimLoad)} / ${Math.round(load.floor)} req/s; rounds ${load.rounds.map((r) => (r.gwsimLoad / r.floor).toFixed(2)).join(', ')})`,
      baseline: load.rounds.map((r) => r.floor),
    },
    {
      name: 'load generator/autocannon req/s',
      value: load.gwsimLoad / ac,
      target: 0,
      better: 'report',
      note: `(rounds ${load.rounds.map((r) => (r.gwsimLoad / r.autocannon).toFixed(2)).join(', ')})`,
    },
    { name: 'undici floor/autocannon', value: load.floor / ac, target: 0, better: 'report' },
    { name: 'undici request/autocannon', value: load.clients.undiciRequest / ac, target: 0, better: 'report' },
    { name: 'undici dispatch/autocannon', value: load.clients.undiciDispatch / ac, target: 0, better: 'report' },
    { name: 'undici raw dispatch/autocannon', value: load.clients.undiciRawDispatch / ac, target: 0, better: 'report' },
    { name: 'node:http Agent/autocannon', value: load.clients.nodeHttp / ac, target: 0, better: 'report' },
    { name: 'submit http-nodes/in-process', value: ratio(httpSubmit, gwSubmit), target: 0, better: 'report' },
    { name: 'poll http-nodes/in-process', value: ratio(httpPoll, gwPoll), target: 0, better: 'report' },
    ...(redis
      ? ([
          {
            name: 'submit redis/memory store',
            value: redis.submit.ratio,
            target: 0.5,
            better: 'higher',
            note: pairNote(redis.submit),
            baseline: baselineOf(redis.submit),
          },
          {
            name: 'poll redis/memory store',
            value: redis.poll.ratio,
            target: 0,
            better: 'report',
            note: pairNote(redis.poll),
          },
        ] satisfies Check[])
      : []),
    { name: `ready ms (median of ${plan.starts})`, value: gwReady, target: 500, better: 'lower' },
    {
      name: 'ready gwsim/bare node:http start',
      value: gwReady / bareReady,
      target: 3,
      better: 'at-most',
      note: `(bare ${bareReady.toFixed(0)} ms)`,
    },
    {
      name: `RSS MB, ${plan.inFlight / 1000}k tasks in flight`,
      value: memory.rssBytes / MB,
      target: 300,
      better: plan.inFlight === RSS_TARGET_IN_FLIGHT ? 'lower' : 'report',
      note: `(${(memory.rssBeforeBytes / MB).toFixed(0)} MB before)`,
    },
    {
      name: 'heap bytes per in-flight task',
      value: memory.heapPerTaskBytes,
      target: 0,
      better: 'report',
      note: `(after a full GC: ${(memory.heapBeforeBytes / MB).toFixed(0)} → ${(memory.heapBytes / MB).toFixed(0)} MB)`,
    },
    {
      name: `timer lateness p99 ms, ${plan.latenessTasks / 1000}k in flight`,
      value: lateness.p99Ms,
      target: 5,
      better: plan.latenessTasks === LATENESS_TARGET_TASKS ? 'lower' : 'report',
      note: `(max ${lateness.maxMs.toFixed(1)} ms, ${lateness.samples} samples)`,
    },
    {
      name: 'KB allocated per submit',
      value: alloc.gwsimBytes / 1024,
      target: 0,
      better: 'report',
      note: `(bare node:http ${(alloc.bareBytes / 1024).toFixed(1)} KB per request, same client)`,
    },
  ];

  printReport(process.stdout, run.rows, checks);
  process.stdout.write('\ngwsim code that allocates the most, KB per submit:\n');
  for (const t of alloc.top) process.stdout.write(`  ${(t.bytes / 1024).toFixed(2).padStart(6)}  ${t.frame}\n`);
  if (profileDir) process.stdout.write(`\nCPU profiles of the gwsim processes: ${profileDir}/gwsim-*.cpuprofile\n`);
  if (options.json)
    writeJson(
      options.json,
      {
        seconds: plan.seconds,
        quick: options.quick,
        in_flight: plan.inFlight,
        memory,
        sustained,
        lateness,
        allocation: alloc,
        load,
        paired,
        per_pass: perPass,
        ...(redis ? { redis } : {}),
      },
      run.rows,
      checks,
    );
}
