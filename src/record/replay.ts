import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ModelFigures } from '../catalog/figures.js';
import { call } from '../contracts/target.js';
import { StartupError } from '../startup-error.js';
import { parseJson, routeOf, type Exchange, type Session } from './session.js';
import { isCreate, isCredits, isPoll, outcomeOf, payload, taskIdOf, taskTracks } from './tasks.js';

/** The gwsim a recording is held against could not be used: one line, exit 2. */
export class ReplayError extends StartupError {}

export interface ReplayOptions {
  /** A running gwsim (its public API and `/_sim`). */
  url: string;
  adminToken?: string;
  /** Real time a replayed task may take to end on a real-clock target. */
  maxWaitMs?: number;
  /** Per request. */
  timeoutMs?: number;
}

export interface ReplayResult {
  /** The simulator's answer to each recorded call, index for index (undefined: not replayed). */
  answers: Map<number, Exchange>;
  /** The simulator's replay as a session of its own (for tasks and prices). */
  simulated: Exchange[];
  /** Recorded task id → the simulator's. */
  taskIds: Map<string, string>;
  figures: ModelFigures[];
  clock: 'real' | 'manual';
  /** Webhook deliveries the simulator sent for the replayed tasks. */
  deliveries: Exchange[];
  /** Replayed tasks that did not end within the bounds. */
  unfinished: string[];
}

const STEP_MS = 1_000;
/** Simulated time a task may take to end on a manual clock (10 min). */
const MAX_SIM_MS = 600_000;
const BAD_KEY = 'aio_gwsim_diff_unknown_key';
/** Request headers a replay keeps; the rest (a browser's, the recorder's host) are the recording's own. */
const KEPT_HEADERS = ['content-type', 'accept', 'idempotency-key', 'x-request-id'];

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A sink for the webhooks of replayed tasks, on loopback (where gwsim may deliver). */
async function startSink(received: Exchange[]): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const now = Date.now();
      received.push({
        index: received.length,
        startMs: now,
        endMs: now,
        method: req.method ?? 'POST',
        path: req.url ?? '/',
        route: `${req.method ?? 'POST'} (webhook)`,
        requestHeaders: new Map(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
        requestBody: text,
        status: 200,
        responseHeaders: new Map(),
        contentType: 'text/plain',
        json: parseJson(text),
      });
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, server };
}

/** Replay a session against a gwsim, in order, recorded task ids mapped to the simulator's. */
export async function replay(session: Session, options: ReplayOptions): Promise<ReplayResult> {
  const base = options.url.replace(/\/+$/, '');
  const adminHeaders: Record<string, string> = options.adminToken
    ? { authorization: `Bearer ${options.adminToken}` }
    : {};
  const timeoutMs = options.timeoutMs ?? 30_000;
  const reach = async <T>(what: string, p: Promise<T>): Promise<T> => {
    try {
      return await p;
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new ReplayError(
        `cannot reach --against ${base} (${what}): ${cause?.code ?? cause?.message ?? (err as Error).message}`,
      );
    }
  };
  const admin = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const r = await reach(`${method} /_sim${path}`, call<T>(`${base}/_sim${path}`, method, body, adminHeaders));
    if (r.status >= 300)
      throw new ReplayError(
        `--against ${base} is not a gwsim whose admin API answers: ${method} /_sim${path} gave ${r.status}${r.status === 401 ? ' (set GWSIM_ADMIN_TOKEN)' : ''}`,
      );
    return r.body;
  };

  const clock = (await admin<{ mode: 'real' | 'manual' }>('GET', '/clock')).mode;
  const catalog = await admin<{ time_scale?: number; models: ModelFigures[] }>('GET', '/catalog');
  // The simulator runs the catalog's durations times its --time-scale: that is what a recording meets.
  const scale = catalog.time_scale ?? 1;
  const figures = catalog.models.map((f) => ({
    ...f,
    latency_ms: { p5: f.latency_ms.p5 * scale, p95: f.latency_ms.p95 * scale },
  }));
  const firstBalance = session.exchanges
    .map((x) => (isCredits(x) && x.status === 200 ? payload(x.json)?.balance : undefined))
    .find((b) => typeof b === 'number');
  const { key } = await admin<{ key: string }>('POST', '/keys', {
    credits:
      typeof firstBalance === 'number' && Number.isInteger(firstBalance) && firstBalance >= 0 ? firstBalance : 10_000,
  });

  const recordedTracks = new Map(taskTracks(session).map((t) => [t.id, t]));
  const deliveries: Exchange[] = [];
  const sink = await startSink(deliveries);
  const taskIds = new Map<string, string>();
  const answers = new Map<number, Exchange>();
  const simulated: Exchange[] = [];
  const unfinished: string[] = [];
  const t0 = session.exchanges[0]!.startMs;
  let advanced = 0;

  const advance = async (ms: number) => {
    if (ms <= 0) return;
    await admin('POST', '/clock/advance', { ms });
    advanced += ms;
  };
  const send = async (x: Exchange, path: string, body: string | undefined): Promise<Response> => {
    const headers: Record<string, string> = {};
    for (const h of KEPT_HEADERS) if (x.requestHeaders.has(h)) headers[h] = x.requestHeaders.get(h)!;
    // The recording's key is scrubbed: send the replay's own, unless the call was refused for its key.
    if (x.requestHeaders.has('authorization')) headers.authorization = `Bearer ${x.status === 401 ? BAD_KEY : key}`;
    else if (x.status !== 401) headers.authorization = `Bearer ${key}`;
    return reach(
      `${x.method} /api/v1${path}`,
      fetch(`${base}/api/v1${path}`, {
        method: x.method,
        headers,
        ...(body !== undefined && x.method !== 'GET' ? { body } : {}),
        signal: AbortSignal.timeout(timeoutMs),
      }),
    );
  };
  /** A request that may wait on the clock (a sync model's create): advance while it is pending. */
  const sendSettling = async (x: Exchange, path: string, body: string | undefined): Promise<Response> => {
    const pending = send(x, path, body);
    if (clock !== 'manual') return pending;
    let done = false;
    void pending.then(
      () => (done = true),
      () => (done = true),
    );
    for (let waited = 0; !done && waited < MAX_SIM_MS; waited += STEP_MS) {
      await pause(5);
      if (!done) await advance(STEP_MS);
    }
    return pending;
  };
  const poll = async (path: string) => {
    const r = await reach(
      `GET /api/v1${path}`,
      fetch(`${base}/api/v1${path}`, {
        headers: { authorization: `Bearer ${key}` },
        signal: AbortSignal.timeout(timeoutMs),
      }),
    );
    return outcomeOf(parseJson(await r.text()));
  };
  /** Let a replayed task end before the poll at which the recorded one was seen ended. */
  const untilEnded = async (simId: string) => {
    const path = `/tasks/${encodeURIComponent(simId)}`;
    if (clock === 'manual') {
      for (let waited = 0; waited <= MAX_SIM_MS; waited += STEP_MS) {
        if (await poll(path)) return true;
        await advance(STEP_MS);
      }
      return false;
    }
    const deadline = Date.now() + (options.maxWaitMs ?? 60_000);
    while (Date.now() < deadline) {
      if (await poll(path)) return true;
      await pause(100);
    }
    return false;
  };

  try {
    for (const x of session.exchanges) {
      if (clock === 'manual') await advance(x.startMs - t0 - advanced);
      let path = x.path;
      for (const [rec, sim] of taskIds) if (path.includes(rec)) path = path.split(rec).join(sim);
      const recordedId = isPoll(x) ? decodeURIComponent(x.path.split('?')[0]!.split('/')[2] ?? '') : undefined;
      const track = recordedId ? recordedTracks.get(recordedId) : undefined;
      if (track?.end?.exchange.index === x.index && taskIds.has(track.id)) {
        if (!(await untilEnded(taskIds.get(track.id)!))) unfinished.push(track.id);
      }
      let body = x.requestBody;
      const json = parseJson(body);
      if (json && typeof json === 'object' && !Array.isArray(json) && 'callback_url' in json)
        body = JSON.stringify({ ...json, callback_url: sink.url });
      const started = Date.now();
      const res = await (isCreate(x) ? sendSettling(x, path, body) : send(x, path, body));
      const text = await reach(`${x.method} /api/v1${path}`, res.text());
      const contentType = (res.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      const answer: Exchange = {
        index: x.index,
        startMs: started,
        endMs: Date.now(),
        method: x.method,
        path,
        route: routeOf(x.method, x.path),
        requestHeaders: new Map(),
        requestBody: body,
        status: res.status,
        responseHeaders: new Map([...res.headers].map(([k, v]) => [k.toLowerCase(), v])),
        contentType,
        json: contentType.includes('json') ? parseJson(text) : undefined,
      };
      answers.set(x.index, answer);
      simulated.push(answer);
      if (isCreate(x)) {
        const [rec, sim] = [taskIdOf(x.json), taskIdOf(answer.json)];
        if (rec && sim) taskIds.set(rec, sim);
      }
    }
    // Deliveries trail their tasks: give them a moment (bounded).
    const wanted = session.webhooks.length;
    for (let i = 0; i < 40 && deliveries.length < wanted; i++) {
      if (clock === 'manual') await advance(STEP_MS);
      await pause(25);
    }
  } finally {
    sink.server.closeAllConnections();
    sink.server.close();
  }
  return { answers, simulated, taskIds, figures, clock, deliveries, unfinished };
}
