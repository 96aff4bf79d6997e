import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Pool, request, type Dispatcher } from 'undici';
import { loadCatalog } from '../catalog/load-catalog.js';
import { poolSettings } from '../load/gateway-client.js';
import { totalRequests } from '../load/report.js';
import { runLoad } from '../load/runner.js';
import { MAX_ARRIVALS, parseScenario } from '../load/scenario.js';
import { BENCH_KEY, HEADERS, SUBMIT_BODY, SUBMIT_PATH } from './load-shapes.js';
import { BARE, LISTENING } from './plan.js';
import { startChild } from './processes.js';

type Autocannon = typeof import('autocannon');
const CONNECTIONS = 32;

/** Request rates against the bare server: autocannon, `gwsim load`, and the three clients it could use. */
export interface LoadRates {
  autocannon: number;
  gwsimLoad: number;
  /** Each round's pair, in the order run (autocannon and gwsimLoad above are their means). */
  rounds: LoadRound[];
  /** undici `request()` (a response stream per request), `dispatch()` with a handler, node:http's Agent. */
  clients: { undiciRequest: number; undiciDispatch: number; nodeHttp: number };
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
 * undici's lowest level with the handler API src/load/gateway-client.ts uses (onResponseStart …):
 * the legacy one (onConnect, onHeaders …) goes through an adapter that converts every reply's
 * headers, and measured at about half this rate, which is not what the generator pays.
 */
function dispatchOnce(pool: Dispatcher, origin: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let status = 0;
    pool.dispatch(
      { origin, method: 'POST', path: SUBMIT_PATH, headers: headerList, body: SUBMIT_BODY },
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

/** The three HTTP clients, each with 32 keep-alive connections and 32 requests in flight. */
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
    const undiciDispatch = await rate(seconds, () => dispatchOnce(pool, origin));
    await rate(0.5, () => nodeHttpOnce(agent, url));
    const nodeHttp = await rate(seconds, () => nodeHttpOnce(agent, url));
    return { undiciRequest, undiciDispatch, nodeHttp };
  } finally {
    agent.destroy();
    await pool.close();
  }
}

/** One round's two rates, and which ran first. */
export interface LoadRound {
  first: 'autocannon' | 'gwsim load';
  autocannon: number;
  gwsimLoad: number;
}

/** Rounds of the pair, in the order A B B A …, so neither always runs first or always follows the other. */
const ROUNDS = 4;

/**
 * `gwsim load`'s request rate against the bare server, beside autocannon's: both in this process
 * (the server in a child of its own), 32 connections, the same path and body bytes, the same
 * length, each warmed once first. The generator runs submit-only journeys at an arrival rate far
 * above what the server takes, so max in flight (32) paces it as connections pace autocannon
 * (closed loop against closed loop). Both rates are requests answered ÷ the run's own elapsed
 * time. ROUNDS alternating rounds, each reported; the totals' ratio judges, since pairs run back
 * to back share the machine's noise. Then the clients the generator could be built on.
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
    const viaAutocannon = async (length: number) => {
      const result = await autocannon({ ...cannon, duration: length });
      return result.requests.total / result.duration;
    };
    const viaGwsim = async () => {
      const report = await runLoad({ target: bare.url, key: BENCH_KEY, scenario });
      return totalRequests(report).total / (report.elapsed_ms / 1000);
    };
    await viaAutocannon(1); // warm the server and autocannon's code …
    await viaGwsim(); // … and the generator's
    const rounds: LoadRound[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const acFirst = round % 4 === 1 || round % 4 === 0;
      process.stderr.write(`  bare node:http submit, round ${round}: `);
      let ac = 0;
      let gw = 0;
      for (const which of acFirst ? ['autocannon', 'gwsim load'] : ['gwsim load', 'autocannon']) {
        process.stderr.write(`${which} …`);
        if (which === 'autocannon') ac = await viaAutocannon(seconds);
        else gw = await viaGwsim();
        process.stderr.write(` ${Math.round(which === 'autocannon' ? ac : gw)} req/s  `);
      }
      process.stderr.write(`(${(gw / ac).toFixed(2)})\n`);
      rounds.push({ first: acFirst ? 'autocannon' : 'gwsim load', autocannon: ac, gwsimLoad: gw });
    }
    const mean = (pick: (r: LoadRound) => number) => rounds.reduce((sum, r) => sum + pick(r), 0) / rounds.length;
    process.stderr.write('  bare node:http submit: undici request / undici dispatch / node:http Agent …');
    const clients = await clientRates(bare.url, seconds);
    process.stderr.write(
      ` ${Math.round(clients.undiciRequest)} / ${Math.round(clients.undiciDispatch)} / ${Math.round(clients.nodeHttp)} req/s\n`,
    );
    return { autocannon: mean((r) => r.autocannon), gwsimLoad: mean((r) => r.gwsimLoad), rounds, clients };
  } finally {
    await bare.stop();
  }
}
