import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator.js';

export const DEV = 'aio_dev_key';

export interface Reply<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
}

/** The gateway envelope as tests read it. */
export interface Envelope<T = unknown> {
  code: number;
  message: string;
  data: T;
}

/** The docs' error body, as tests read it. */
export interface ErrorBody {
  error: { code: number; message: string; type: string };
}

/** The error type each status answers with (the spec's ErrorType, as README's table lists it). */
export const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'insufficient_credits',
  403: 'authentication_error',
  404: 'not_found_error',
  405: 'invalid_request_error',
  408: 'invalid_request_error',
  409: 'idempotency_error',
  413: 'invalid_request_error',
  415: 'invalid_request_error',
  431: 'invalid_request_error',
  422: 'idempotency_error',
  429: 'rate_limit_error',
  500: 'api_error',
  503: 'api_error',
};

export interface TestSim extends Simulator {
  /** JSON request to the simulator; `key: null` sends no Authorization header. */
  call<T = Envelope>(
    method: string,
    path: string,
    init?: { body?: unknown; raw?: string | Buffer; key?: string | null; headers?: Record<string, string> },
  ): Promise<Reply<T>>;
  /** Shorthand for admin routes (plain JSON bodies). */
  admin_<T = unknown>(method: string, path: string, body?: unknown): Promise<Reply<T>>;
}

/**
 * A real simulator on 127.0.0.1:0, every response checked against openapi/gateway.yaml (a
 * mismatch turns into a 500 that fails the test). Defaults to the manual clock.
 */
export async function startTestSim(options: SimulatorOptions = {}): Promise<TestSim> {
  const sim = await startSimulator({ port: 0, clock: 'manual', validateResponses: true, ...options });
  const call = async <T>(
    method: string,
    path: string,
    init: { body?: unknown; raw?: string | Buffer; key?: string | null; headers?: Record<string, string> } = {},
  ) => {
    const headers: Record<string, string> = { ...init.headers };
    const key = init.key === undefined ? DEV : init.key;
    if (key !== null) headers.authorization = `Bearer ${key}`;
    let body: string | Buffer | undefined = init.raw;
    if (init.body !== undefined) {
      body = JSON.stringify(init.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(sim.url + path, { method, headers, ...(body !== undefined ? { body } : {}) });
    const type = res.headers.get('content-type') ?? '';
    const parsed = type.includes('json') ? await res.json() : Buffer.from(await res.arrayBuffer());
    return { status: res.status, headers: res.headers, body: parsed as T };
  };
  return Object.assign(sim, {
    call,
    admin_: <T>(method: string, path: string, body?: unknown) =>
      call<T>(method, `/_sim${path}`, { key: null, ...(body !== undefined ? { body } : {}) }),
  });
}

export const SEED_COGVIEW = {
  model: 'cogview-4',
  prompt: 'A futuristic robot assistant helping in a modern kitchen, clean design',
  size: '1024*1024',
  quality: 'hd',
};

export const SEED_IMAGEN = {
  model: 'imagen4',
  prompt: 'A photorealistic bowl of ramen with steam rising, side lighting, food photography',
  aspect_ratio: '1:1',
};

/**
 * The state a request may change: task count, ledger entry count, webhook deliveries, one key's
 * credits, every idempotency claim, every key's rate-window count and every node's jobs (running
 * and queued, from its job book: a submit's create may book one). Read through the admin
 * service, so taking a snapshot counts against no window. An authenticated request counts once
 * in its key's window whatever it is answered (the RateLimit headers say so): `counted` says that.
 */
export interface StateSnapshot {
  tasks: number;
  ledger: number;
  deliveries: number;
  credits: { balance: number; held: number; available: number };
  claims: Record<string, { fingerprint: string; taskId: string | null }>;
  rateHits: Record<string, number>;
  /** Nodes with jobs running or queued: `running/queued`. */
  jobs: Record<string, string>;
}

export async function snapshot(sim: TestSim, key: string = DEV): Promise<StateSnapshot> {
  const rec = await sim.admin.getKey(key);
  const { claims, windows } = await sim.admin.claimsAndWindows();
  return {
    tasks: (await sim.admin.tasks({})).length,
    ledger: (await sim.admin.ledger(undefined)).entries.length,
    deliveries: (await sim.admin.webhooks(undefined)).length,
    credits: { balance: rec.credits, held: rec.held, available: rec.available },
    claims: Object.fromEntries(
      Object.entries(claims).map(([scope, c]) => [scope, { fingerprint: c.fingerprint, taskId: c.taskId }]),
    ),
    rateHits: Object.fromEntries(Object.entries(windows).map(([k, w]) => [k, w.count])),
    jobs: nodeJobs(await sim.admin.metrics()),
  };
}

/** Nodes with jobs running or queued, from the node gauges of gwsim's metrics: `running/queued`. */
function nodeJobs(metrics: string): Record<string, string> {
  const gauge = (name: string) =>
    new Map(
      [...metrics.matchAll(new RegExp(`^${name}\\{node="([^"]+)"\\} (\\d+)$`, 'gm'))].map((m) => [m[1]!, Number(m[2])]),
    );
  const running = gauge('gwsim_node_running');
  const queued = gauge('gwsim_node_queue_depth');
  const nodes = [...new Set([...running.keys(), ...queued.keys()])].sort();
  return Object.fromEntries(
    nodes
      .filter((n) => (running.get(n) ?? 0) + (queued.get(n) ?? 0) > 0)
      .map((n) => [n, `${running.get(n) ?? 0}/${queued.get(n) ?? 0}`]),
  );
}

/** `before` with `n` more requests counted in `key`'s rate window: what a refused, authenticated request leaves. */
export function counted(before: StateSnapshot, key: string = DEV, n = 1): StateSnapshot {
  return { ...before, rateHits: { ...before.rateHits, [key]: (before.rateHits[key] ?? 0) + n } };
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Await a request under the manual clock, advancing the clock by `stepMs` whenever a sync task
 * (which the request may be waiting for) is in progress; bounded in polls.
 */
export async function settling<T>(sim: TestSim, pending: Promise<T>, stepMs = 60_000): Promise<T> {
  let done = false;
  const watched = pending.finally(() => (done = true));
  for (let i = 0; i < 500 && !done; i++) {
    const syncBusy = (await sim.admin.tasks({})).some(
      (t) => t.status !== 'COMPLETED' && t.status !== 'FAILED' && sim.catalog.model(t.model)?.runtime === 'sync',
    );
    if (syncBusy && !done) await sim.clock.advance(stepMs);
    else await pause(2);
  }
  return watched;
}

/** Advance the manual clock in steps until no task is IN_QUEUE or IN_PROGRESS (bounded). */
export async function drain(sim: TestSim, stepMs = 10_000, maxSteps = 100): Promise<void> {
  for (let i = 0; i < maxSteps; i++) {
    const open = (await sim.admin.tasks({})).filter((t) => t.status === 'IN_QUEUE' || t.status === 'IN_PROGRESS');
    if (open.length === 0) return;
    await sim.clock.advance(stepMs);
  }
  throw new Error(`tasks still open after ${maxSteps} clock steps of ${stepMs} ms`);
}

/**
 * The snapshot a refused request must leave: `before`, plus its one count in the key's rate
 * window when it was counted, which its answer says by carrying `RateLimit` (whose `remaining`
 * gives the window's count, so a window that began anew with this request is 1).
 */
export function leftBy(before: StateSnapshot, reply: { headers: Headers }, key: string = DEV): StateSnapshot {
  const header = reply.headers.get('ratelimit');
  if (header === null) return before;
  const m = /limit=(\d+), remaining=(\d+)/.exec(header);
  const remaining = m ? Number(m[2]) : 0;
  if (!m || remaining === 0) return counted(before, key);
  return { ...before, rateHits: { ...before.rateHits, [key]: Number(m[1]) - remaining } };
}
