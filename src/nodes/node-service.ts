import type { Catalog } from '../catalog/load-catalog.js';
import type { SpecValidators } from '../spec/validators.js';
import type { BookRead, Reservation } from './job-book.js';
import type { Job, JobRequest, JobState, NodeEmulator } from './node-emulator.js';

/** A node's answer to one call, before any transport frames it. */
export type NodeReply =
  | { status: number; body: unknown; headers?: Record<string, string> }
  /** Close the connection without a word (an outage). */
  | { drop: true }
  /** Never answer (a timeout fault); the caller's timeout decides. */
  | { hang: true };

/** A node API error answer (node.yaml's `{error:{type,detail}}`). */
export const nodeError = (
  status: number,
  type: string,
  detail: string,
  headers?: Record<string, string>,
): NodeReply => ({
  status,
  body: { error: { type, detail } },
  ...(headers ? { headers } : {}),
});

const FAULT_REPLIES = {
  refuse: { drop: true },
  hang: { hang: true },
  error: nodeError(503, 'node_unavailable', 'the node is failing requests (injected error_rate)', {
    'Retry-After': '1',
  }),
} as const satisfies Record<string, NodeReply>;

/**
 * The node API of openapi/node.yaml as plain calls. The HTTP app and the in-process transport
 * both go through it, so they cannot drift apart.
 */
export class NodeService {
  constructor(
    readonly emulator: NodeEmulator,
    private readonly catalog: Catalog,
    private readonly validators: SpecValidators,
  ) {}

  async submitJob(body: unknown): Promise<NodeReply> {
    const accepted = this.accepts(body);
    if (!('req' in accepted)) return accepted;
    return { status: 202, body: await this.emulator.submit(accepted.req, accepted.modelId) };
  }

  /**
   * The booking a submit of `body` would make now, for the store to make with the task's create;
   * undefined when the call must go as a call: a bad request, any fault known (it may draw or
   * refuse), a job book outside the store.
   */
  prepareJob(body: unknown): Reservation | undefined {
    if (!this.emulator.booksInStore || !this.emulator.faultless) return undefined;
    const accepted = this.accepts(body);
    return 'req' in accepted ? this.emulator.reservationFor(accepted.req, accepted.modelId) : undefined;
  }

  /** The submit's answer from a booking the store made (`prepareJob`'s). */
  bookedJob(read: BookRead): Job {
    return this.emulator.booked(read);
  }

  /** Whether the node takes the job: the request and model it serves, or its answer (an error or a fault's). */
  private accepts(body: unknown): NodeReply | { req: JobRequest; modelId: string } {
    const check = this.validators.schema('JobRequest');
    if (!check(body)) return nodeError(400, 'invalid_request', this.validators.describe(check));
    const req = body as JobRequest;
    const ref = this.catalog.resolve(req.model);
    const effect = this.emulator.effect(ref?.model.id);
    if (effect !== 'none') return FAULT_REPLIES[effect];
    if (!ref || !this.emulator.serves(ref.model.id))
      return nodeError(400, 'unsupported_model', `${this.emulator.id} does not serve model '${req.model}'`);
    return { req, modelId: ref.model.id };
  }

  /** A job held in `state` (POST /_sim/jobs); the request is checked as submitJob checks it. Returns the job or why not. */
  async fixtureJob(
    req: unknown,
    state: JobState,
    error: { type: string; detail: string } | null,
  ): Promise<Job | string> {
    const check = this.validators.schema('JobRequest');
    if (!check(req)) return this.validators.describe(check);
    const ref = this.catalog.resolve((req as JobRequest).model);
    if (!ref || !this.emulator.serves(ref.model.id))
      return `'model': ${this.emulator.id} does not serve model '${(req as JobRequest).model}'`;
    return this.emulator.fixture(req as JobRequest, ref.model.id, state, error);
  }

  async getJob(id: string): Promise<NodeReply> {
    const effect = this.emulator.effect();
    if (effect !== 'none') return FAULT_REPLIES[effect];
    const job = await this.emulator.get(id);
    return job ? { status: 200, body: job } : nodeError(404, 'not_found', `no job ${id.slice(0, 128)}`);
  }

  /** Several jobs in one call (`GET /v1/jobs?ids=…`, ids checked by the caller): one fault roll, as for one call. */
  async getJobs(ids: readonly string[]): Promise<NodeReply> {
    const effect = this.emulator.effect();
    if (effect !== 'none') return FAULT_REPLIES[effect];
    const jobs: Job[] = [];
    const missing: string[] = [];
    for (const id of ids) {
      const job = await this.emulator.get(id);
      if (job) jobs.push(job);
      else missing.push(id);
    }
    return { status: 200, body: { jobs, missing } };
  }

  async health(): Promise<NodeReply> {
    const effect = this.emulator.effect();
    if (effect === 'refuse' || effect === 'hang') return FAULT_REPLIES[effect];
    return { status: 200, body: await this.emulator.health() };
  }
}
