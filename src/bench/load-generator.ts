import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Pool, request, type Dispatcher } from 'undici';
import { loadCatalog } from '../catalog/load-catalog.js';
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

const headerList = Object.entries(HEADERS).flat();

/** undici's lowest level: a handler that keeps the status and the body bytes, as src/load/gateway-client.ts does. */
function dispatchOnce(pool: Dispatcher, origin: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let status = 0;
    pool.dispatch(
      { origin, method: 'POST', path: SUBMIT_PATH, headers: headerList, body: SUBMIT_BODY },
      {
        onConnect: () => undefined,
        onHeaders: (code) => ((status = code), true),
        onData: () => true,
        onComplete: () => (status === 200 ? resolve() : reject(new Error(`status ${status}`))),
        onError: reject,
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
  const pool = new Pool(origin, { connections: CONNECTIONS, pipelining: 1 });
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

/**
 * `gwsim load`'s request rate against the bare server, beside autocannon's, both with 32
 * connections and the same body; then the clients the generator could be built on. The generator
 * runs submit-only journeys at an arrival rate far above what the server takes, so max in flight
 * (32) paces it as connections pace autocannon. Two rounds, interleaved, best of each: this
 * machine's noise is larger than the difference.
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
    await autocannon({ ...cannon, duration: 1 }); // warm the server, for whichever runs first
    let best = { autocannon: 0, gwsimLoad: 0 };
    for (let round = 1; round <= 2; round++) {
      process.stderr.write(`  bare node:http submit, round ${round}: autocannon …`);
      const ac = (await autocannon({ ...cannon, duration: seconds })).requests.average;
      process.stderr.write(` ${Math.round(ac)} req/s, gwsim load …`);
      const report = await runLoad({ target: bare.url, key: BENCH_KEY, scenario });
      const rps = totalRequests(report).total / (report.elapsed_ms / 1000);
      process.stderr.write(` ${Math.round(rps)} req/s\n`);
      best = { autocannon: Math.max(best.autocannon, ac), gwsimLoad: Math.max(best.gwsimLoad, rps) };
    }
    process.stderr.write('  bare node:http submit: undici request / undici dispatch / node:http Agent …');
    const clients = await clientRates(bare.url, seconds);
    process.stderr.write(
      ` ${Math.round(clients.undiciRequest)} / ${Math.round(clients.undiciDispatch)} / ${Math.round(clients.nodeHttp)} req/s\n`,
    );
    return { ...best, clients };
  } finally {
    await bare.stop();
  }
}
