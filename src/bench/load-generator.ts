import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Pool, request, type Dispatcher } from 'undici';
import { loadCatalog } from '../catalog/load-catalog.js';
import { ArrivalPlanner } from '../load/arrival-plan.js';
import { poolSettings } from '../load/gateway-client.js';
import { totalRequests } from '../load/report.js';
import { runLoad } from '../load/runner.js';
import { MAX_ARRIVALS, parseScenario, type Scenario } from '../load/scenario.js';
import { BENCH_KEY, HEADERS, SUBMIT_BODY, SUBMIT_PATH } from './load-shapes.js';
import { BARE, LISTENING } from './plan.js';
import { startChild } from './processes.js';

type Autocannon = typeof import('autocannon');
const CONNECTIONS = 32;

/** Request rates against the bare server: autocannon, `gwsim load`, the floor, and the clients it could use. */
export interface LoadRates {
  autocannon: number;
  gwsimLoad: number;
  /** undici dispatch with the generator's handler, in a bare closed loop: what `gwsim load` costs without journeys. */
  floor: number;
  /** Each round's three rates, in the order run (the three above are their means). */
  rounds: LoadRound[];
  /**
   * Each client once, after the rounds: undici `request()` (a response stream per request),
   * `dispatch()` with the newer handler API (onResponseStart …), `dispatch()` with the handler
   * API undici's HTTP/1 client calls directly (onHeaders …, what the generator uses), node:http's Agent.
   */
  clients: { undiciRequest: number; undiciDispatch: number; undiciRawDispatch: number; nodeHttp: number };
}

/** Run `one` from `CONNECTIONS` workers for `seconds`; requests per second. */
async function rate(seconds: number, one: () => Promise<void>): Promise<number> {
  const end = performance.now() + seconds * 1000;
  let done = 0;
  const worker = async () => {
    while (performance.now() < end) {
      await one();
      done++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  return done / ((performance.now() - t0) / 1000);
}

/** The headers as the generator sends them: a flat list, names in lower case (undici's fast path). */
const headerList = Object.entries(HEADERS).flatMap(([name, value]) => [name.toLowerCase(), value]);

/**
 * undici's dispatch with the newer handler API (onResponseStart …): undici's HTTP/1 client wraps
 * it in an UnwrapHandler that parses every reply's headers into an object.
 */
function dispatchOnce(pool: Dispatcher, origin: string, body: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let status = 0;
    pool.dispatch(
      { origin, method: 'POST', path: SUBMIT_PATH, headers: headerList, body },
      {
        onRequestStart: () => undefined,
        onResponseStart: (_c, code) => (status = code),
        onResponseData: () => undefined,
        onResponseEnd: () => (status === 200 ? resolve() : reject(new Error(`status ${status}`))),
        onResponseError: (_c, err) => reject(err),
      },
    );
  });
}

/** undici's dispatch with the handler API its HTTP/1 client calls as is: the one src/load/gateway-client.ts uses. */
function rawDispatchOnce(pool: Dispatcher, origin: string, body: string | Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    let status = 0;
    pool.dispatch(
      { origin, method: 'POST', path: SUBMIT_PATH, headers: headerList, body },
      {
        onConnect: () => undefined,
        onHeaders: (code) => ((status = code), true),
        onData: () => true,
        onComplete: () => (status === 200 ? resolve() : reject(new Error(`status ${status}`))),
        onError: (err) => reject(err),
      },
    );
  });
}

/**
 * The bodies `gwsim load` sends in the bench scenario (a prompt pool of 512, about 150 bytes
 * each; autocannon sends SUBMIT_BODY, 100), so the floor's requests are the generator's bytes,
 * handed to undici as the generator hands them (Buffers made once by its planner).
 */
function plannedBodies(scenario: Scenario): Buffer[] {
  const planner = new ArrivalPlanner(scenario);
  return Array.from({ length: 512 }, (_, index) => planner.plan({ index, atMs: 0 }).bytes);
}

/** A closed loop of raw dispatches over a pool with the generator's settings; requests per second. */
async function floorRate(origin: string, seconds: number, bodies: readonly Buffer[]): Promise<number> {
  const pool = new Pool(origin, poolSettings(CONNECTIONS, 30_000));
  let i = 0;
  try {
    return await rate(seconds, () => rawDispatchOnce(pool, origin, bodies[i++ % bodies.length]!));
  } finally {
    await pool.close();
  }
}

function nodeHttpOnce(agent: HttpAgent, url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers: HEADERS, agent }, (res) => {
      res.on('data', () => undefined);
      res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`status ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(SUBMIT_BODY);
  });
}

/** The HTTP clients, each with 32 keep-alive connections and 32 requests in flight, SUBMIT_BODY each. */
async function clientRates(origin: string, seconds: number): Promise<LoadRates['clients']> {
  // The generator's own settings: undici's defaults (4 s keep-alive, 300 s timeouts) measured differently.
  const pool = new Pool(origin, poolSettings(CONNECTIONS, 30_000));
  const agent = new HttpAgent({ keepAlive: true, maxSockets: CONNECTIONS });
  const url = `${origin}${SUBMIT_PATH}`;
  try {
    const viaRequest = async () => {
      const res = await request(url, { method: 'POST', headers: HEADERS, body: SUBMIT_BODY, dispatcher: pool });
      await res.body.dump();
    };
    await rate(0.5, viaRequest); // warm the server and the pool
    const undiciRequest = await rate(seconds, viaRequest);
    const undiciDispatch = await rate(seconds, () => dispatchOnce(pool, origin, SUBMIT_BODY));
    const undiciRawDispatch = await rate(seconds, () => rawDispatchOnce(pool, origin, SUBMIT_BODY));
    await rate(0.5, () => nodeHttpOnce(agent, url));
    const nodeHttp = await rate(seconds, () => nodeHttpOnce(agent, url));
    return { undiciRequest, undiciDispatch, undiciRawDispatch, nodeHttp };
  } finally {
    agent.destroy();
    await pool.close();
  }
}

/** One round's three rates, and which ran first. */
export interface LoadRound {
  first: Contender;
  autocannon: number;
  gwsimLoad: number;
  floor: number;
}

type Contender = 'autocannon' | 'gwsim load' | 'floor';
const CONTENDERS: readonly Contender[] = ['autocannon', 'gwsim load', 'floor'];

/**
 * `gwsim load` ÷ the floor it is judged by: the generator's journeys, stats and latency
 * histograms may cost at most a tenth of its client's request rate. Not ÷ autocannon: in a
 * closed loop against one Node server the fastest well-kept Node client (undici) is the floor,
 * and what it lacks to autocannon is undici's, not the generator's (README, "Load generator").
 */
export const LOAD_FLOOR_TARGET = 0.9;

/** Rounds of the three, in the order A B C, C B A …, so none always runs first or always follows another. */
const ROUNDS = 4;

/**
 * `gwsim load`'s request rate against the bare server, beside autocannon's and beside the floor
 * (undici's raw dispatch in a bare closed loop, the generator's own client without journeys,
 * stats or histograms): all in this process (the server in a child of its own), 32
 * connections, the same path; the floor sends the generator's body bytes, autocannon its own
 * SUBMIT_BODY (a third shorter). Each is warmed once first. The generator runs submit-only
 * journeys at an arrival rate far above what the server takes, so max in flight (32) paces it
 * as connections pace the others (closed loop against closed loops). Every rate is requests
 * answered ÷ the run's own elapsed time. ROUNDS alternating rounds, each reported; the means'
 * ratios judge, since rounds run back to back share the machine's noise. Then each client the
 * generator could be built on, once.
 */
export async function loadGeneratorRates(seconds: number, autocannon: Autocannon): Promise<LoadRates> {
  const bare = await startChild(process.execPath, [BARE, '0'], LISTENING);
  try {
    const url = `${bare.url}${SUBMIT_PATH}`;
    const cannon = { url, method: 'POST' as const, headers: HEADERS, body: SUBMIT_BODY, connections: CONNECTIONS };
    const scenario = parseScenario(
      {
        name: 'bench',
        rate: Math.min(200_000, Math.floor(MAX_ARRIVALS / seconds)),
        duration: seconds * 1000,
        max_in_flight: CONNECTIONS,
        journeys: { submit: 1 },
        mix: [{ model: 'imagen4', params: { aspect_ratio: '1:1' } }],
        download: false,
      },
      loadCatalog(),
    );
    const bodies = plannedBodies(scenario);
    const viaAutocannon = async (length: number) => {
      const result = await autocannon({ ...cannon, duration: length });
      return result.requests.total / result.duration;
    };
    const viaGwsim = async () => {
      const report = await runLoad({ target: bare.url, key: BENCH_KEY, scenario });
      return totalRequests(report).total / (report.elapsed_ms / 1000);
    };
    const run: Record<Contender, () => Promise<number>> = {
      autocannon: () => viaAutocannon(seconds),
      'gwsim load': viaGwsim,
      floor: () => floorRate(bare.url, seconds, bodies),
    };
    await viaAutocannon(1); // warm the server and autocannon's code …
    await viaGwsim(); // … the generator's …
    await floorRate(bare.url, 1, bodies); // … and the floor's
    const rounds: LoadRound[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const order = round % 2 === 1 ? CONTENDERS : [...CONTENDERS].reverse();
      process.stderr.write(`  bare node:http submit, round ${round}: `);
      const got: Record<Contender, number> = { autocannon: 0, 'gwsim load': 0, floor: 0 };
      for (const which of order) {
        process.stderr.write(`${which} …`);
        got[which] = await run[which]();
        process.stderr.write(` ${Math.round(got[which])} req/s  `);
      }
      process.stderr.write(
        `(${(got['gwsim load'] / got.floor).toFixed(2)} of the floor, ${(got['gwsim load'] / got.autocannon).toFixed(2)} of autocannon)\n`,
      );
      rounds.push({ first: order[0]!, autocannon: got.autocannon, gwsimLoad: got['gwsim load'], floor: got.floor });
    }
    const mean = (pick: (r: LoadRound) => number) => rounds.reduce((sum, r) => sum + pick(r), 0) / rounds.length;
    process.stderr.write('  bare node:http submit: undici request / dispatch / raw dispatch / node:http Agent …');
    const clients = await clientRates(bare.url, seconds);
    process.stderr.write(
      ` ${[clients.undiciRequest, clients.undiciDispatch, clients.undiciRawDispatch, clients.nodeHttp].map(Math.round).join(' / ')} req/s\n`,
    );
    return {
      autocannon: mean((r) => r.autocannon),
      gwsimLoad: mean((r) => r.gwsimLoad),
      floor: mean((r) => r.floor),
      rounds,
      clients,
    };
  } finally {
    await bare.stop();
  }
}
