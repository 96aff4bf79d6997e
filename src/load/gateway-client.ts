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

/** Retry-After from a reply's raw header list (name, value, name, value …), as undici's parser hands it over. */
function retryAfterOf(raw: ReadonlyArray<Buffer | string>): string | string[] | undefined {
  let found: string | string[] | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!;
    // Only an 11-character name can be it: the rest cost a length check, not a string.
    if (name.length !== 11 || name.toString().toLowerCase() !== 'retry-after') continue;
    const value = raw[i + 1]!.toString();
    found = found === undefined ? value : [...(Array.isArray(found) ? found : [found]), value];
  }
  return found;
}

/**
 * undici's dispatch with a handler that keeps only what a journey reads, and settles one
 * promise with the caller's own result. It is the handler API undici's HTTP/1 client calls as
 * is (onConnect, onHeaders with the raw header list …). The newer one (onRequestStart,
 * onResponseStart …) goes through undici 7's UnwrapHandler, which allocates a controller and
 * parses every reply's headers into an object: 2–3 µs a reply against 0.1–0.3 µs here in a
 * microbenchmark of the two handlers (loaded machine); 29 vs 25 µs of client CPU a request in
 * the quietest closed-loop run against the bench's bare server, level within the noise under
 * load. Should a later undici drop this API, test/load/gateway-client.test.ts fails.
 */
class Collector<T> implements Dispatcher.DispatchHandler {
  private status = 0;
  private retryAfter: string | string[] | undefined;
  private readonly keepBody: boolean;
  /** The body's first chunk, then the rest should there be more (most replies come in one). */
  private first: Buffer | undefined;
  private more: Buffer[] | undefined;
  private bytes = 0;

  constructor(
    keepBody: boolean,
    private readonly done: (a: Answer) => T,
    private readonly failed: (err: Error) => T,
    private readonly resolve: (value: T) => void,
    private readonly reject: (err: Error) => void,
  ) {
    this.keepBody = keepBody;
  }

  onConnect(): void {}

  onHeaders(statusCode: number, headers: Buffer[]): boolean {
    this.status = statusCode;
    this.retryAfter = retryAfterOf(headers);
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.bytes += chunk.length;
    if (!this.keepBody) return true;
    if (this.first === undefined) this.first = chunk;
    else (this.more ??= [this.first]).push(chunk);
    return true;
  }

  // The caller's mappings may throw (RunAborted): that rejects, it never reaches undici.
  onComplete(): void {
    const body = this.more ? Buffer.concat(this.more) : this.first;
    try {
      this.resolve(this.done({ status: this.status, retryAfter: this.retryAfter, body, bytes: this.bytes }));
    } catch (err) {
      this.reject(err as Error);
    }
  }

  onError(err: Error): void {
    try {
      this.resolve(this.failed(err));
    } catch (thrown) {
      this.reject(thrown as Error);
    }
  }
}

/** The envelope's task (if any) and Retry-After, from an answer. */
function toReply(answer: Answer): Reply {
  const reply: Reply = { status: answer.status };
  try {
    const task = answer.body ? asTask((JSON.parse(answer.body.toString()) as { data?: unknown }).data) : undefined;
    if (task) reply.task = task;
  } catch {
    // Not JSON: the journey judges the status alone.
  }
  // Only when present: parseRetryAfter reads the clock for its default `now` on every call.
  const retryAfterMs = answer.retryAfter === undefined ? undefined : parseRetryAfter(answer.retryAfter);
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

  /** One request; `done` maps the answer, `failed` a network error, both inside the one promise. */
  private send<T>(
    dispatcher: Dispatcher,
    origin: string,
    method: 'GET' | 'POST',
    path: string,
    headers: string[],
    body: string | Buffer | undefined,
    keepBody: boolean,
    done: (a: Answer) => T,
    failed: (err: unknown) => T,
  ): Promise<T> {
    if (this.aborted) return Promise.reject(new RunAborted());
    return new Promise((resolve, reject) => {
      dispatcher.dispatch(
        { origin, method, path, headers, body: body ?? null },
        new Collector(keepBody, done, failed, resolve, reject),
      );
    });
  }

  private readonly failed = (err: unknown): Reply & Download => {
    if (this.aborted) throw new RunAborted();
    return { status: 0, bytes: 0, error: errorCode(err) };
  };

  /** POST a submit body: its bytes as planned, or a string (a body with its callback added). */
  submit(body: string | Buffer): Promise<Reply> {
    return this.send(
      this.pool,
      this.origin,
      'POST',
      this.submitPath,
      this.jsonHeaders,
      body,
      true,
      toReply,
      this.failed,
    );
  }

  poll(taskId: string): Promise<Reply> {
    const path = `${this.base}/api/v1/tasks/${encodeURIComponent(taskId)}`;
    return this.send(this.pool, this.origin, 'GET', path, this.getHeaders, undefined, true, toReply, this.failed);
  }

  /** GET an image, counting its bytes without keeping them. */
  download(url: string): Promise<Download> {
    let u: URL;
    try {
      u = new URL(url);
    } catch (err) {
      return Promise.resolve(this.failed(err));
    }
    const dispatcher = u.origin === this.origin ? this.pool : this.agent;
    const path = u.pathname + u.search;
    const counted = (a: Answer): Download => ({ status: a.status, bytes: a.bytes });
    return this.send(dispatcher, u.origin, 'GET', path, this.getHeaders, undefined, false, counted, this.failed);
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
    const parsed = (a: Answer): unknown =>
      a.status === 200 && a.body ? (JSON.parse(a.body.toString('utf8')) as unknown) : undefined;
    try {
      return await this.send(this.pool, this.origin, 'GET', path, headers, undefined, true, parsed, () => undefined);
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
