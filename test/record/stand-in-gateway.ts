import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for the real API in One gateway, written from the docs' shapes and on purpose from
 * none of gwsim's code, with deliberate drifts from the simulator:
 * - every task has an extra field `eta_ms`, and lacks `queue_position`;
 * - `credits_charged` is a string;
 * - imagen4 takes 150–400 ms (the catalog says 3–8 s); every 8th imagen4 task fails;
 * - cogview-4 (sync) costs 5 credits (the catalog says 4).
 * Errors are in the docs' shape: {"error": {"code", "message", "type"}}.
 */
export const REAL_KEY = 'aio_real_Zk3q9TtLw0PeRsUv';
export const REAL_WEBHOOK_SECRET = 'whsec_c3RhbmQtaW4tc2VjcmV0LWZvci10ZXN0cw==';

interface Task {
  task_id: string;
  status: 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';
  model: string;
  sub_model: string;
  node: string;
  provider: string;
  attempts: unknown[];
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  output: { images: Array<{ url: string; width: number; height: number }> } | null;
  error: { code: string; message: string } | null;
  credits_held: number;
  credits_charged: string;
  eta_ms: number;
}

const MODELS: Record<
  string,
  {
    model: string;
    node: string;
    tag: string;
    provider: string;
    credits: number;
    sync: boolean;
    ms: [number, number];
    size: [number, number];
  }
> = {
  imagen4: {
    model: 'imagen-4',
    node: 'node47',
    tag: 'imagen4',
    provider: 'Google',
    credits: 8,
    sync: false,
    ms: [150, 400],
    size: [1024, 1024],
  },
  'cogview-4': {
    model: 'cogview-4',
    node: 'node48',
    tag: 'cogview4',
    provider: 'Zhipu AI',
    credits: 5,
    sync: true,
    ms: [100, 200],
    size: [1024, 1024],
  },
};

export interface StandIn {
  url: string;
  close(): Promise<void>;
}

export async function startStandIn(): Promise<StandIn> {
  const tasks = new Map<string, Task>();
  let balance = 1000;
  let held = 0;
  let n = 0;
  let requests = 0;
  const timers = new Set<NodeJS.Timeout>();

  const send = (res: ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'Content-Type': 'application/json; charset=utf-8',
      'X-Request-Id': `rq-${++requests}`,
      ...(status !== 401
        ? { 'RateLimit-Policy': '100;w=60', RateLimit: `limit=100, remaining=${Math.max(0, 100 - requests)}, reset=60` }
        : {}),
    });
    res.end(text);
  };
  const fail = (res: ServerResponse, status: number, message: string, type: string) =>
    send(res, status, { error: { code: status, message, type } });
  const ok = (res: ServerResponse, data: unknown) => send(res, 200, { code: 200, message: 'success', data });

  const finish = (task: Task, price: number, failed: boolean, callback: string | undefined) => {
    task.status = failed ? 'FAILED' : 'COMPLETED';
    task.completed_at = new Date().toISOString();
    held -= price;
    task.credits_held = 0;
    if (failed) task.error = { code: 'provider_error', message: 'The provider failed to generate the image' };
    else {
      balance -= price;
      task.credits_charged = String(price);
      task.output = {
        images: [{ url: `https://cdn.stand-in.example/${task.task_id}/0.png`, width: 1024, height: 1024 }],
      };
    }
    if (callback) {
      void fetch(callback, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'webhook-id': `msg_${task.task_id}` },
        body: JSON.stringify({ code: 200, message: 'success', data: task }),
      }).catch(() => undefined);
    }
  };

  const create = (req: IncomingMessage, res: ServerResponse, text: string) => {
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return fail(res, 400, 'Malformed JSON', 'invalid_request_error');
    }
    const m = MODELS[String(body.model)];
    if (!m) return fail(res, 400, `Unknown model: ${String(body.model)}`, 'invalid_request_error');
    if (balance - held < m.credits) return fail(res, 402, 'Insufficient credits', 'insufficient_credits');
    const i = n++;
    const now = new Date().toISOString();
    const task: Task = {
      task_id: `n${m.node.slice(4)}${(1e9 + i * 7919).toString(36)}_${m.tag}`,
      status: 'IN_PROGRESS',
      model: m.model,
      sub_model: String(body.model),
      node: m.node,
      provider: m.provider,
      attempts: [],
      created_at: now,
      started_at: now,
      completed_at: null,
      output: null,
      error: null,
      credits_held: m.credits,
      credits_charged: '0',
      eta_ms: m.ms[1],
    };
    tasks.set(task.task_id, task);
    held += m.credits;
    const ms = m.ms[0] + ((i * 97) % (m.ms[1] - m.ms[0]));
    const failed = !m.sync && i % 8 === 7;
    const callback = typeof body.callback_url === 'string' ? body.callback_url : undefined;
    const timer = setTimeout(() => {
      timers.delete(timer);
      finish(task, m.credits, failed, callback);
      if (m.sync) ok(res, task);
    }, ms);
    timers.add(timer);
    if (!m.sync) ok(res, { ...task });
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0]!;
      if (req.headers.authorization !== `Bearer ${REAL_KEY}`)
        return fail(res, 401, 'Invalid API key', 'authentication_error');
      if (req.method === 'POST' && path === '/api/v1/images/generations')
        return create(req, res, Buffer.concat(chunks).toString('utf8'));
      if (req.method === 'GET' && path === '/api/v1/credits')
        return ok(res, { balance, held, available: balance - held });
      if (req.method === 'GET' && path === '/api/v1/account')
        return ok(res, { key: REAL_KEY, webhook_secret: REAL_WEBHOOK_SECRET });
      const task = /^\/api\/v1\/tasks\/([^/]+)$/.exec(path);
      if (req.method === 'GET' && task) {
        const t = tasks.get(decodeURIComponent(task[1]!));
        return t ? ok(res, t) : fail(res, 404, 'Task not found', 'not_found_error');
      }
      return fail(res, 404, 'Not found', 'not_found_error');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
