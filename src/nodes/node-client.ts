import type { Pool } from 'undici';
import type { Clock } from '../clock/clock.js';
import type { BookRead, Reservation } from './job-book.js';
import type { Health, Job, JobRequest } from './node-emulator.js';
import type { NodeReply, NodeService } from './node-service.js';
import { BatchReads } from './batch-reads.js';
import { jobIdsQuery } from './job-batch.js';
import type { components } from '../generated/node.js';

type JobBatch = components['schemas']['JobBatch'];

/** Why a call to a node failed: the gateway fails over on all but `rejected`. */
export type NodeFailure = 'refused' | 'timeout' | 'error' | 'rejected';

export class NodeCallError extends Error {
  constructor(
    readonly node: string,
    readonly kind: NodeFailure,
    detail: string,
    readonly status?: number,
  ) {
    super(`${node}: ${kind}: ${detail}`);
    this.name = 'NodeCallError';
  }
}

/** Hooks on one call. */
export interface CallHooks {
  /**
   * Told, with the epoch ms the call times out at, once the call is known to wait for nothing but
   * that timeout (the node hangs). Code running in a clock timer must stop awaiting the call then:
   * the manual clock cannot reach the timeout while that timer is unfinished.
   */
  onHung?: (deadline: number) => void;
}

/**
 * The gateway's only way to talk to a provider node (what the gateway → node contract covers).
 * Timeouts run on the simulator clock, so the manual clock decides when a hung node times out.
 */
export interface NodeClient {
  readonly node: string;
  readonly transport: 'http' | 'in-process';
  submit(job: JobRequest, hooks?: CallHooks): Promise<Job>;
  /** undefined when the node does not know the job. */
  getJob(id: string, hooks?: CallHooks): Promise<Job | undefined>;
  health(): Promise<Health>;
  close(): Promise<void>;
  /**
   * A node in this process that can say when a job next changes (simulator epoch ms; undefined
   * when it cannot know yet, as for a queued job), so the gateway need not ask at every poll tick.
   */
  readonly changes?: JobChanges;
  /** A node in this process whose job book is in the gateway's store: a first submit can be booked with the task's create. */
  readonly booking?: StoreBookings;
}

/** The submit of a node whose jobs the store books (`TaskCreation.booking`), split in its two halves. */
export interface StoreBookings {
  /** The booking the submit of `job` would make now; undefined: make the call as usual. */
  prepare(job: JobRequest): Reservation | undefined;
  /** The submit's answer, from the booking the store made. */
  answer(read: BookRead): Job;
}

export interface JobChanges {
  nextChangeAt(jobId: string): Promise<number | undefined>;
}

export interface ClientOptions {
  node: string;
  clock: Clock;
  timeoutMs: number;
}

/** Turn a node's status and body into a result or a NodeCallError. */
function interpret<T>(node: string, status: number, body: unknown, notFound?: T): T {
  if (status >= 200 && status < 300) return body as T;
  if (status === 404 && notFound !== undefined) return notFound;
  const detail = (body as { error?: { detail?: string } } | null)?.error?.detail ?? `HTTP ${status}`;
  throw new NodeCallError(node, status >= 500 || status === 429 ? 'error' : 'rejected', detail, status);
}

/** Race `work` against a timer on the simulator clock (due at `deadline`); `abort` runs when the timer wins. */
function withTimeout<T>(o: ClientOptions, deadline: number, work: Promise<T>, abort?: () => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = o.clock.schedule(deadline, () => {
      abort?.();
      reject(new NodeCallError(o.node, 'timeout', `no answer within ${o.timeoutMs} ms`));
    });
    work.then(
      (v) => (o.clock.cancel(timer), resolve(v)),
      (e: unknown) => (o.clock.cancel(timer), reject(e)),
    );
  });
}

const NOT_FOUND = Symbol('not found');

/**
 * Calls the node's service directly, with the failure modes of HTTP (the shared node-client
 * contract suite holds both transports to the same answers). No JSON copy is needed: the node
 * builds a fresh view for every reply and keeps nothing of the request.
 */
export class InProcessNodeClient implements NodeClient {
  readonly transport = 'in-process';
  readonly node: string;
  readonly changes: JobChanges;
  readonly booking: StoreBookings | undefined;

  constructor(
    private readonly service: NodeService,
    private readonly options: ClientOptions,
  ) {
    this.node = options.node;
    this.changes = { nextChangeAt: (id) => service.emulator.nextChangeAt(id) };
    this.booking = service.emulator.booksInStore
      ? { prepare: (job) => service.prepareJob(job), answer: (read) => service.bookedJob(read) }
      : undefined;
  }

  /**
   * The reply as the call's result, or a throw (callers are async, so a throw is a rejection, as
   * over HTTP); a hang is a promise of its timeout. Answers come back as values, not promises, so
   * a call costs no extra turns to unwrap one.
   */
  private call<T>(reply: NodeReply, notFound?: T, hooks?: CallHooks): T | Promise<T> {
    if ('drop' in reply) throw new NodeCallError(this.node, 'refused', 'connection refused');
    if ('hang' in reply) {
      const deadline = this.options.clock.now() + this.options.timeoutMs;
      const result = withTimeout(this.options, deadline, new Promise<T>(() => {}));
      hooks?.onHung?.(deadline);
      return result;
    }
    return interpret(this.node, reply.status, reply.body, notFound);
  }

  async submit(job: JobRequest, hooks?: CallHooks): Promise<Job> {
    return this.call<Job>(await this.service.submitJob(job), undefined, hooks);
  }

  async getJob(id: string, hooks?: CallHooks): Promise<Job | undefined> {
    const r = this.call<Job | typeof NOT_FOUND>(await this.service.getJob(id), NOT_FOUND, hooks);
    const job = r instanceof Promise ? await r : r;
    return job === NOT_FOUND ? undefined : job;
  }

  async health(): Promise<Health> {
    return this.call<Health>(await this.service.health());
  }

  async close(): Promise<void> {}
}

/** The request header that names a call, for a node in this process to report it hung. */
export const CALL_HEADER = 'x-gwsim-call';

/** Calls a node over HTTP with keep-alive connections (undici). */
export class HttpNodeClient implements NodeClient {
  readonly transport = 'http';
  readonly node: string;
  /** Created on the first call: undici is loaded only by a simulator that calls nodes over HTTP. */
  private pool: Promise<Pool> | undefined;
  private calls = 0;
  /** Calls in flight that may be reported hung, by their CALL_HEADER value. */
  private readonly hangable = new Map<string, () => void>();
  /** Polls due together go as one batch read. */
  private readonly reads = new BatchReads({
    one: (id, hooks) => this.getOne(id, hooks),
    many: (ids, hooks) => this.getJobs(ids, hooks),
    refusal: (err) =>
      !(err instanceof NodeCallError) || err.kind !== 'rejected'
        ? 'shared'
        : err.status === 404 || err.status === 405
          ? 'route'
          : 'batch',
  });

  constructor(
    readonly baseUrl: string,
    /** `tagCalls`: send CALL_HEADER, for a node in this process that reports hangs through `hung()`. */
    private readonly options: ClientOptions & { token?: string | undefined; tagCalls?: boolean },
  ) {
    this.node = options.node;
  }

  private connections(): Promise<Pool> {
    this.pool ??= import('undici').then(
      ({ Pool }) => new Pool(this.baseUrl, { connections: 64, keepAliveTimeout: 30_000 }),
    );
    return this.pool;
  }

  /** The node holds the call named `callId` without answering (its timeout decides). */
  hung(callId: string): void {
    this.hangable.get(callId)?.();
  }

  private async call<T>(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    notFound?: T,
    hooks?: CallHooks,
  ): Promise<T> {
    const controller = new AbortController();
    const deadline = this.options.clock.now() + this.options.timeoutMs;
    const callId = this.options.tagCalls ? String(++this.calls) : undefined;
    const onHung = hooks?.onHung;
    if (callId !== undefined && onHung) this.hangable.set(callId, () => onHung(deadline));
    const work = (async () => {
      try {
        const res = await (
          await this.connections()
        ).request({
          method,
          path,
          signal: controller.signal,
          headers: {
            accept: 'application/json',
            ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
            ...(this.options.token ? { authorization: `Bearer ${this.options.token}` } : {}),
            ...(callId !== undefined ? { [CALL_HEADER]: callId } : {}),
          },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        });
        const text = await res.body.text();
        let parsed: unknown = null;
        try {
          parsed = text ? JSON.parse(text) : null;
        } catch {
          throw new NodeCallError(this.node, 'error', `unreadable answer (HTTP ${res.statusCode})`, res.statusCode);
        }
        return interpret(this.node, res.statusCode, parsed, notFound);
      } catch (err) {
        if (err instanceof NodeCallError) throw err;
        if (controller.signal.aborted) throw new NodeCallError(this.node, 'timeout', 'aborted');
        throw new NodeCallError(this.node, 'refused', (err as Error).message);
      }
    })();
    try {
      return await withTimeout(this.options, deadline, work, () => controller.abort());
    } finally {
      if (callId !== undefined) this.hangable.delete(callId);
    }
  }

  submit(job: JobRequest, hooks?: CallHooks): Promise<Job> {
    return this.call<Job>('POST', '/v1/jobs', job, undefined, hooks);
  }

  /**
   * On the real clock, reads asked in one turn go as one batch read. The manual clock runs one
   * timer's step at a time, so there is never more than one to join, and a read starts at once.
   */
  getJob(id: string, hooks?: CallHooks): Promise<Job | undefined> {
    return this.options.clock.mode === 'real' ? this.reads.read(id, hooks) : this.getOne(id, hooks);
  }

  /** The jobs of `ids` the node knows, by id: one `GET /v1/jobs?ids=…` (at most MAX_BATCH_IDS). */
  async getJobs(ids: readonly string[], hooks?: CallHooks): Promise<Map<string, Job>> {
    const batch = await this.call<JobBatch>('GET', `/v1/jobs?${jobIdsQuery(ids)}`, undefined, undefined, hooks);
    return new Map(batch.jobs.map((job) => [job.id, job]));
  }

  private async getOne(id: string, hooks?: CallHooks): Promise<Job | undefined> {
    const r = await this.call<Job | typeof NOT_FOUND>(
      'GET',
      `/v1/jobs/${encodeURIComponent(id)}`,
      undefined,
      NOT_FOUND,
      hooks,
    );
    return r === NOT_FOUND ? undefined : r;
  }

  health(): Promise<Health> {
    return this.call('GET', '/v1/health');
  }

  close(): Promise<void> {
    return this.pool ? this.pool.then((p) => p.destroy()) : Promise.resolve();
  }
}
