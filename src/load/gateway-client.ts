import type { IncomingHttpHeaders } from 'node:http';
import { Agent, Pool, type Dispatcher } from 'undici';
import type { Reply, TaskSnapshot } from './journey.js';
import { parseRetryAfter } from '../client/retry-after.js';

export interface GatewayClientOptions {
  /** The gateway's base URL (`http://127.0.0.1:4100`); a trailing `/api/v1` is tolerated. */
  target: string;
  key: string;
  /** Keep-alive connections to the target (and to each image host). */
  connections: number;
  requestTimeoutMs: number;
}

export interface Download {
  status: number;
  bytes: number;
  error?: string;
}

/** Thrown by every call once the run is aborted. */
export class RunAborted extends Error {
  override readonly name = 'RunAborted';
}

export { parseRetryAfter };

function asTask(data: unknown): TaskSnapshot | undefined {
  const t = data as Partial<TaskSnapshot> | null;
  return t && typeof t === 'object' && typeof t.task_id === 'string' && typeof t.status === 'string'
    ? (t as TaskSnapshot)
    : undefined;
}

interface Answer {
  status: number;
  retryAfter: string | string[] | undefined;
  body: Buffer | undefined;
  bytes: number;
}

/**
 * undici's dispatch with a handler that keeps only what a journey reads: no response stream
 * per request, which roughly doubles the request rate over `request()`.
 */
class Collector implements Dispatcher.DispatchHandler {
  private status = 0;
  private retryAfter: string | string[] | undefined;
  private chunks: Buffer[] | undefined;
  private bytes = 0;

  constructor(
    keepBody: boolean,
    private readonly resolve: (a: Answer) => void,
    private readonly reject: (err: Error) => void,
  ) {
    if (keepBody) this.chunks = [];
  }

  onRequestStart(): void {}

  onResponseStart(_c: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    this.status = statusCode;
    this.retryAfter = headers['retry-after'];
  }

  onResponseData(_c: Dispatcher.DispatchController, chunk: Buffer): void {
    this.bytes += chunk.length;
    this.chunks?.push(chunk);
  }

  onResponseEnd(): void {
    const body = this.chunks ? (this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks)) : undefined;
    this.resolve({ status: this.status, retryAfter: this.retryAfter, body, bytes: this.bytes });
  }

  onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    this.reject(err);
  }
}

/** The envelope's task (if any) and Retry-After, from an answer. */
function toReply(answer: Answer): Reply {
  const reply: Reply = { status: answer.status };
  try {
    const task = answer.body
      ? asTask((JSON.parse(answer.body.toString('utf8')) as { data?: unknown }).data)
      : undefined;
    if (task) reply.task = task;
  } catch {
    // Not JSON: the journey judges the status alone.
  }
  const retryAfterMs = parseRetryAfter(answer.retryAfter);
  if (retryAfterMs !== undefined) reply.retryAfterMs = retryAfterMs;
  return reply;
}

/** The generator's undici settings; the bench's client measures (src/bench/load-generator.ts) use them too. */
export const poolSettings = (connections: number, requestTimeoutMs: number) => ({
  connections,
  pipelining: 1,
  keepAliveTimeout: 30_000,
  headersTimeout: requestTimeoutMs,
  bodyTimeout: requestTimeoutMs,
});

const errorCode = (err: unknown): string => (err as { code?: string }).code ?? (err as Error).name ?? 'error';

/**
 * The gateway over undici keep-alive pools: one Pool to the target, an Agent (a pool per
 * origin) for image URLs elsewhere. Failures come back as replies with status 0; after
 * `abort()` every call, in flight or new, throws RunAborted.
 */
export class GatewayClient {
  readonly origin: string;
  private readonly base: string;
  private readonly submitPath: string;
  private readonly pool: Pool;
  private readonly agent: Agent;
  private readonly jsonHeaders: string[];
  private readonly getHeaders: string[];
  private aborted = false;

  constructor(private readonly options: GatewayClientOptions) {
    const url = new URL(options.target);
    this.origin = url.origin;
    this.base = url.pathname.replace(/\/+$/, '').replace(/\/api\/v1$/, '');
    this.submitPath = `${this.base}/api/v1/images/generations`;
    const settings = poolSettings(options.connections, options.requestTimeoutMs);
    this.pool = new Pool(this.origin, settings);
    this.agent = new Agent(settings);
    this.getHeaders = ['authorization', `Bearer ${options.key}`];
    this.jsonHeaders = [...this.getHeaders, 'content-type', 'application/json'];
  }

  private send(
    dispatcher: Dispatcher,
    origin: string,
    method: 'GET' | 'POST',
    path: string,
    headers: string[],
    body: string | undefined,
    keepBody: boolean,
  ): Promise<Answer> {
    if (this.aborted) return Promise.reject(new RunAborted());
    return new Promise((resolve, reject) => {
      dispatcher.dispatch(
        { origin, method, path, headers, body: body ?? null },
        new Collector(keepBody, resolve, reject),
      );
    });
  }

  private failed(err: unknown): Reply & Download {
    if (this.aborted) throw new RunAborted();
    return { status: 0, bytes: 0, error: errorCode(err) };
  }

  submit(body: string): Promise<Reply> {
    return this.send(this.pool, this.origin, 'POST', this.submitPath, this.jsonHeaders, body, true).then(
      toReply,
      (err: unknown) => this.failed(err),
    );
  }

  poll(taskId: string): Promise<Reply> {
    return this.send(
      this.pool,
      this.origin,
      'GET',
      `${this.base}/api/v1/tasks/${encodeURIComponent(taskId)}`,
      this.getHeaders,
      undefined,
      true,
    ).then(toReply, (err: unknown) => this.failed(err));
  }

  /** GET an image, counting its bytes without keeping them. */
  async download(url: string): Promise<Download> {
    try {
      const u = new URL(url);
      const answer = await this.send(
        u.origin === this.origin ? this.pool : this.agent,
        u.origin,
        'GET',
        u.pathname + u.search,
        this.getHeaders,
        undefined,
        false,
      );
      return { status: answer.status, bytes: answer.bytes };
    } catch (err) {
      return this.failed(err);
    }
  }

  /** The key's balance from GET /credits; null when the target does not say. */
  async balance(): Promise<number | null> {
    const reply = await this.json(`${this.base}/api/v1/credits`, this.getHeaders);
    const balance = (reply as { data?: { balance?: unknown } } | undefined)?.data?.balance;
    return typeof balance === 'number' ? balance : null;
  }

  /** The key's webhook secret from a gwsim target's admin API; undefined elsewhere. */
  async webhookSecret(adminToken?: string): Promise<string | undefined> {
    const headers = adminToken ? ['authorization', `Bearer ${adminToken}`] : [];
    const reply = await this.json(`${this.base}/_sim/keys/${encodeURIComponent(this.options.key)}`, headers);
    const record = reply as { webhook_secret?: unknown; data?: { webhook_secret?: unknown } } | undefined;
    const secret = record?.webhook_secret ?? record?.data?.webhook_secret;
    return typeof secret === 'string' ? secret : undefined;
  }

  private async json(path: string, headers: string[]): Promise<unknown> {
    try {
      const answer = await this.send(this.pool, this.origin, 'GET', path, headers, undefined, true);
      return answer.status === 200 && answer.body ? (JSON.parse(answer.body.toString('utf8')) as unknown) : undefined;
    } catch {
      return undefined;
    }
  }

  /** Fail everything in flight and refuse what comes after (the run was stopped). */
  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    void this.pool.destroy(new RunAborted()).catch(() => undefined);
    void this.agent.destroy(new RunAborted()).catch(() => undefined);
  }

  async close(): Promise<void> {
    if (this.aborted) return;
    await Promise.all([this.pool.close(), this.agent.close()]);
  }
}
