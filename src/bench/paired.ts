import { readFileSync } from 'node:fs';
import { pollLoad, submitLoad } from './load-shapes.js';
import { BARE, LISTENING, serveGwsim, submitMany, type Run } from './plan.js';
import { startChild, type Child } from './processes.js';
import { wrk, type WrkLoad, type WrkResult } from './wrk.js';

/** Rounds of a pair, in the order A B B A, so neither side always runs first or always follows the other. */
export const PAIRED_ROUNDS = 4;

/** Whether round `round` (from 1) runs the bare server first: A B B A, then again. */
export const bareFirst = (round: number): boolean => round % 4 === 1 || round % 4 === 0;

/**
 * Runs of one side as one result: the rate is all requests ÷ all elapsed time (each run's own,
 * requests ÷ its rate), the p99 the worst run's, the errors summed.
 */
export function combine(runs: readonly WrkResult[]): WrkResult {
  const requests = runs.reduce((s, r) => s + r.requests, 0);
  const seconds = runs.reduce((s, r) => s + (r.rps > 0 ? r.requests / r.rps : 0), 0);
  return {
    rps: seconds > 0 ? requests / seconds : 0,
    p99Ms: Math.max(0, ...runs.map((r) => r.p99Ms)),
    requests,
    errors: runs.reduce((s, r) => s + r.errors, 0),
  };
}

/** One round's two runs, and which ran first. */
export interface PairedRound {
  first: 'bare' | 'gwsim';
  bare: WrkResult;
  gwsim: WrkResult;
}

/** Both sides over every round (`combine`), their ratio, and each round. */
export interface Paired {
  bare: WrkResult;
  gwsim: WrkResult;
  /** gwsim's combined rate ÷ bare's: the ratio of the sums. */
  ratio: number;
  rounds: PairedRound[];
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); NaN elsewhere. */
export function cpuSeconds(pid: number | undefined): number {
  try {
    // Fields after the command's closing paren: state is the 1st, utime the 12th, stime the 13th.
    const after = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(after[11]) + Number(after[12])) / 100; // clock ticks; 100 a second on Linux
  } catch {
    return NaN;
  }
}

interface Side {
  child: Child;
  load: WrkLoad;
}

/** What the two sides are called in the log and the rows: the baseline (`bare`) and the measured (`gwsim`). */
export interface SideNames {
  bare: string;
  gwsim: string;
}
const BARE_AND_GWSIM: SideNames = { bare: 'bare node:http', gwsim: 'gwsim' };

/**
 * wrk on the bare server and on gwsim (or any baseline and what is measured against it), both
 * processes up and both warmed (`seconds` each), then PAIRED_ROUNDS alternating rounds of `seconds`
 * each, every round printed with the CPU the idle side used meanwhile (gwsim's own timers run
 * while bare is measured). The rows get each side's combined result.
 */
export async function paired(
  run: Run,
  scenario: string,
  bare: Side,
  gwsim: Side,
  seconds: number,
  names: SideNames = BARE_AND_GWSIM,
): Promise<Paired> {
  // Warmed for a round's length: a fresh gwsim on Redis answered 2,332 req/s in its first 2 s of
  // submits, 3,731–4,938 in each 2 s after (1 s of warming was not enough).
  await wrk(bare.child.url, bare.load, seconds);
  await wrk(gwsim.child.url, gwsim.load, seconds);
  const rounds: PairedRound[] = [];
  for (let round = 1; round <= PAIRED_ROUNDS; round++) {
    const first = bareFirst(round) ? 'bare' : 'gwsim';
    process.stderr.write(`  ${scenario}, round ${round}:`);
    const result: Partial<Record<'bare' | 'gwsim', WrkResult>> = {};
    for (const which of first === 'bare' ? (['bare', 'gwsim'] as const) : (['gwsim', 'bare'] as const)) {
      const [side, other] = which === 'bare' ? [bare, gwsim] : [gwsim, bare];
      const idle0 = cpuSeconds(other.child.proc.pid);
      const r = await wrk(side.child.url, side.load, seconds);
      const idle = (cpuSeconds(other.child.proc.pid) - idle0) / (r.requests / r.rps);
      result[which] = r;
      process.stderr.write(` ${names[which]} ${Math.round(r.rps)} req/s (the other ${(idle * 100).toFixed(0)} % CPU)`);
    }
    const { bare: b, gwsim: g } = result;
    if (!b || !g) throw new Error('a paired round ran only one side');
    process.stderr.write(`  ${(g.rps / b.rps).toFixed(2)}\n`);
    rounds.push({ first, bare: b, gwsim: g });
  }
  const bareAll = combine(rounds.map((r) => r.bare));
  const gwsimAll = combine(rounds.map((r) => r.gwsim));
  for (const [target, r] of [
    [names.bare, bareAll],
    [names.gwsim, gwsimAll],
  ] as const)
    run.rows.push({ target, scenario, rps: Math.round(r.rps), p99_ms: r.p99Ms, errors: r.errors });
  return { bare: bareAll, gwsim: gwsimAll, ratio: gwsimAll.rps / bareAll.rps, rounds };
}

/** Seconds per paired round: half a measure's length (wrk takes whole seconds), so a step takes about as long as before. */
export const roundSeconds = (seconds: number): number => Math.max(1, Math.floor(seconds / 2));

/** A side of submitAndPollPaired: its process and the task ids its polls read (asked after the submit rounds). */
export interface PollSide {
  child: Child;
  pollIds: () => Promise<string[]>;
}

/** Submit rounds, then poll rounds, of two sides both up (`paired` each). */
export async function submitAndPollPaired(
  run: Run,
  bare: PollSide,
  gwsim: PollSide,
  names?: SideNames,
): Promise<{ submit: Paired; poll: Paired }> {
  const seconds = roundSeconds(run.plan.seconds);
  const side = (s: PollSide, load: WrkLoad): Side => ({ child: s.child, load });
  const submit = await paired(run, 'submit', side(bare, submitLoad), side(gwsim, submitLoad), seconds, names);
  const [bareIds, gwsimIds] = [await bare.pollIds(), await gwsim.pollIds()];
  const poll = await paired(
    run,
    'poll',
    side(bare, pollLoad(bareIds)),
    side(gwsim, pollLoad(gwsimIds)),
    seconds,
    names,
  );
  return { submit, poll };
}

/**
 * gwsim at time scale 1 (tasks stay in flight, so this is the cost of a submit and a poll alone)
 * beside the bare server, both up: submit rounds, then polls of tasks gwsim holds in flight.
 */
export async function pairedSubmitAndPoll(
  run: Run,
  bare: Child,
  config: string,
): Promise<{ submit: Paired; poll: Paired }> {
  const gw = await serveGwsim(run, config, [], 'submit-poll');
  try {
    return await submitAndPollPaired(
      run,
      { child: bare, pollIds: async () => ['n47bare_imagen4'] },
      { child: gw, pollIds: () => submitMany(gw.url, run.plan.pollTasks) },
    );
  } finally {
    await gw.stop();
  }
}

/**
 * The bare server beside one that writes its answers per event-loop pass, as gwsim does
 * (src/net/answers-per-pass.ts), in submit rounds: how much a bare server gains from that batching alone.
 */
export async function perPassBaseline(run: Run, bare: Child): Promise<Paired> {
  const perPass = await startChild(process.execPath, [BARE, '0', 'per-pass'], LISTENING);
  try {
    return await paired(
      run,
      'submit',
      { child: bare, load: submitLoad },
      { child: perPass, load: submitLoad },
      roundSeconds(run.plan.seconds),
      { bare: 'bare node:http', gwsim: 'bare node:http, per pass' },
    );
  } finally {
    await perPass.stop();
  }
}
