import createFetchClient from 'openapi-fetch';
import type { components, paths } from '../generated/gateway.js';
import { GatewayApiError, httpError } from './errors.js';
import { isTerminal } from '../gateway/task.js';

export type GenerationRequest = components['schemas']['GenerationRequest'];
export type Task = components['schemas']['Task'];
export type ModelInfo = components['schemas']['ModelInfo'];
export type Credits = components['schemas']['Credits'];

export interface ClientOptions {
  /** The gateway's origin, e.g. `https://apiin.one` or a gwsim's `sim.url`. */
  baseUrl: string;
  apiKey: string;
  fetch?: typeof fetch;
  headers?: Record<string, string>;
}

export interface CallOptions {
  signal?: AbortSignal;
}

export interface WaitOptions extends CallOptions {
  /** Give up after this long (default 5 minutes). */
  timeoutMs?: number;
  /** First poll interval (default 500 ms); grows ×1.5 per poll up to maxIntervalMs (default 5 s). */
  intervalMs?: number;
  maxIntervalMs?: number;
  /** How to wait between polls (tests can pass a fake). */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), reject(signal.reason)), { once: true });
  });
}

/** Unwrap openapi-fetch's result: the envelope's data, or a GatewayApiError. */
async function unwrap<T>(
  call: Promise<{ data?: { data: T }; error?: unknown; response: Response }>,
  signal?: AbortSignal,
): Promise<T> {
  let result: Awaited<typeof call>;
  try {
    result = await call;
  } catch (err) {
    if (signal?.aborted) throw new GatewayApiError('aborted', 0, 0, 'the request was aborted');
    throw new GatewayApiError('network', 0, 0, `the gateway could not be reached: ${(err as Error).message}`);
  }
  const { data, error, response } = result;
  if (data !== undefined && response.ok) return data.data;
  throw httpError(response, error);
}

/** A typed client of the API in One image gateway (the real one, or gwsim). */
export class GatewayClient {
  private readonly http;

  constructor(options: ClientOptions) {
    this.http = createFetchClient<paths>({
      baseUrl: options.baseUrl.replace(/\/$/, ''),
      headers: { Authorization: `Bearer ${options.apiKey}`, ...options.headers },
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
  }

  /** Submit a generation; async models answer with the task as its node took it (IN_PROGRESS, or IN_QUEUE while it waits), sync ones with the finished task. */
  generate(body: GenerationRequest, options: CallOptions & { idempotencyKey?: string } = {}): Promise<Task> {
    const header = options.idempotencyKey === undefined ? {} : { 'Idempotency-Key': options.idempotencyKey };
    return unwrap(
      this.http.POST('/api/v1/images/generations', {
        body,
        params: { header },
        ...(options.signal ? { signal: options.signal } : {}),
      }),
      options.signal,
    );
  }

  getTask(taskId: string, options: CallOptions = {}): Promise<Task> {
    return unwrap(
      this.http.GET('/api/v1/tasks/{task_id}', {
        params: { path: { task_id: taskId } },
        ...(options.signal ? { signal: options.signal } : {}),
      }),
      options.signal,
    );
  }

  /**
   * Poll a task until COMPLETED or FAILED, with growing intervals; a 429 or 503 waits its
   * Retry-After. Throws GatewayApiError `timeout` after timeoutMs, `aborted` on the signal.
   */
  async waitForTask(taskId: string, options: WaitOptions = {}): Promise<Task> {
    const { timeoutMs = 300_000, maxIntervalMs = 5_000, sleep = defaultSleep, signal } = options;
    const deadline = Date.now() + timeoutMs;
    let interval = options.intervalMs ?? 500;
    for (;;) {
      let wait = interval;
      try {
        const task = await this.getTask(taskId, signal ? { signal } : {});
        if (isTerminal(task.status)) return task;
      } catch (err) {
        if (!(err instanceof GatewayApiError) || !(err.status === 429 || err.status === 503)) throw err;
        wait = Math.max(wait, err.retryAfterMs ?? 0);
      }
      if (Date.now() + wait > deadline)
        throw new GatewayApiError('timeout', 0, 0, `task ${taskId} did not finish within ${timeoutMs} ms`);
      try {
        await sleep(wait, signal);
      } catch {
        throw new GatewayApiError('aborted', 0, 0, `waiting for task ${taskId} was aborted`);
      }
      interval = Math.min(maxIntervalMs, interval * 1.5);
    }
  }

  listModels(options: CallOptions = {}): Promise<ModelInfo[]> {
    return unwrap(this.http.GET('/api/v1/models', options.signal ? { signal: options.signal } : {}), options.signal);
  }

  getModel(modelId: string, options: CallOptions = {}): Promise<ModelInfo> {
    return unwrap(
      this.http.GET('/api/v1/models/{model_id}', {
        params: { path: { model_id: modelId } },
        ...(options.signal ? { signal: options.signal } : {}),
      }),
      options.signal,
    );
  }

  getCredits(options: CallOptions = {}): Promise<Credits> {
    return unwrap(this.http.GET('/api/v1/credits', options.signal ? { signal: options.signal } : {}), options.signal);
  }
}

export const createGatewayClient = (options: ClientOptions): GatewayClient => new GatewayClient(options);
