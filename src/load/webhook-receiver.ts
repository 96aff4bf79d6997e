import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhook } from '../webhooks/signature.js';
import type { TaskSnapshot } from './journey.js';
import { isTerminal } from '../gateway/task.js';
import { httpOrigin, listenOn, WEBHOOK_LISTEN } from '../net/listen-on.js';

export interface ReceiverOptions {
  secret: string;
  host?: string;
  port?: number;
  /** The callback URL to advertise when the target reaches this receiver by another address. */
  publicUrl?: string;
}

export interface ReceiverCounts {
  received: number;
  invalid: number;
  duplicates: number;
  /** Deliveries for tasks no journey claimed by the end. */
  unmatched: number;
  /** Deliveries after their journey gave up waiting and polled instead. */
  late: number;
}

const MAX_BODY = 1024 * 1024;
/** Bounds on remembered ids: a long run must not grow these without end. */
const MAX_REMEMBERED = 100_000;

function remember<K, V>(map: Map<K, V>, key: K, value: V): void {
  if (map.size >= MAX_REMEMBERED) map.delete(map.keys().next().value as K);
  map.set(key, value);
}

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        resolve(undefined);
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', () => resolve(undefined));
  });
}

/**
 * The generator's own webhook endpoint: verifies each delivery's Standard Webhooks signature,
 * acknowledges it, and hands the finished task to the journey waiting for it. A delivery that
 * beats the submit's answer (fast models) is kept until its journey asks.
 */
export class WebhookReceiver {
  readonly counts: ReceiverCounts = { received: 0, invalid: 0, duplicates: 0, unmatched: 0, late: 0 };
  private readonly waiting = new Map<string, (task: TaskSnapshot | undefined) => void>();
  private readonly early = new Map<string, TaskSnapshot>();
  private readonly seen = new Map<string, true>();
  private readonly gaveUp = new Map<string, true>();

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly secret: string,
  ) {}

  static async start(options: ReceiverOptions): Promise<WebhookReceiver> {
    const server = createServer();
    const port = await listenOn(server, options.port ?? 0, options.host ?? '127.0.0.1', WEBHOOK_LISTEN);
    const { address } = server.address() as AddressInfo;
    const receiver = new WebhookReceiver(
      server,
      options.publicUrl ?? `${httpOrigin(address, port)}/webhook`,
      options.secret,
    );
    server.on('request', (req, res) => {
      void receiver.handle(req).then((status) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(status === 200 ? '{"received":true}' : '{"received":false}');
      });
    });
    return receiver;
  }

  private async handle(req: IncomingMessage): Promise<number> {
    if (req.method !== 'POST') return 405;
    const body = await readBody(req);
    if (!body) return 413;
    let task: TaskSnapshot | undefined;
    try {
      const envelope = verifyWebhook<{ data?: TaskSnapshot }>(body, req.headers, this.secret);
      task = envelope?.data;
    } catch {
      // A bad signature, a stale timestamp or a body that is not JSON: refused and counted.
    }
    if (!task || typeof task.task_id !== 'string' || typeof task.status !== 'string') {
      this.counts.invalid++;
      return 401;
    }
    this.counts.received++;
    const id = String(req.headers['webhook-id']);
    if (this.seen.has(id)) {
      this.counts.duplicates++;
      return 200;
    }
    remember(this.seen, id, true);
    if (!isTerminal(task.status)) return 200;
    const waiter = this.waiting.get(task.task_id);
    if (waiter) {
      this.waiting.delete(task.task_id);
      waiter(task);
    } else if (this.gaveUp.has(task.task_id)) this.counts.late++;
    else remember(this.early, task.task_id, task);
    return 200;
  }

  /** The task's terminal state from its webhook, or undefined after `timeoutMs`; rejects on abort. */
  wait(taskId: string, timeoutMs: number, signal?: AbortSignal): Promise<TaskSnapshot | undefined> {
    const early = this.early.get(taskId);
    if (early) {
      this.early.delete(taskId);
      return Promise.resolve(early);
    }
    return new Promise((resolve, reject) => {
      const finish = (task: TaskSnapshot | undefined) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.waiting.delete(taskId);
        if (!task) remember(this.gaveUp, taskId, true);
        resolve(task);
      };
      const onAbort = () => {
        clearTimeout(timer);
        this.waiting.delete(taskId);
        reject(signal!.reason);
      };
      const timer = setTimeout(() => finish(undefined), timeoutMs);
      this.waiting.set(taskId, finish);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  async close(): Promise<void> {
    this.counts.unmatched = this.early.size;
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
