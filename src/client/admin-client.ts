import createFetchClient from 'openapi-fetch';
import type { components, operations, paths } from '../generated/admin.js';
import { GatewayApiError, httpError } from './errors.js';

type Schemas = components['schemas'];
export type AdminKey = Schemas['Key'];
export type AdminKeyRequest = Schemas['KeyRequest'];
export type AdminTask = Schemas['AdminTask'];
export type TaskFixture = Schemas['TaskFixture'];
export type AdminClock = Schemas['Clock'];
export type Ledger = Schemas['Ledger'];
export type Delivery = Schemas['Delivery'];
export type FaultRequest = Schemas['FaultRequest'];
export type Fault = Schemas['Fault'];
export type CatalogFigures = Schemas['CatalogFigures'];
export type TaskPage = Schemas['TaskPage'];
export type TaskDetail = Schemas['TaskDetail'];
/** `status`, `model` and `key`, as `GET /_sim/tasks` takes them. */
export type TaskFilter = NonNullable<operations['listTasks']['parameters']['query']>;
/** A dashboard page's filter, `limit` and `cursor`. */
export type TaskPageQuery = NonNullable<operations['pageTasks']['parameters']['query']>;

export interface AdminClientOptions {
  /** The simulator's origin, e.g. a gwsim's `sim.url`. */
  baseUrl: string;
  /** The admin token (`GWSIM_ADMIN_TOKEN`), when the simulator has one. */
  token?: string;
  fetch?: typeof fetch;
  headers?: Record<string, string>;
}

/** openapi-fetch's answer: the body on a 2xx, else a GatewayApiError from the error body. */
async function answer<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  let result: Awaited<typeof call>;
  try {
    result = await call;
  } catch (err) {
    throw new GatewayApiError('network', 0, 0, `the admin API could not be reached: ${(err as Error).message}`);
  }
  if (result.data !== undefined && result.response.ok) return result.data;
  throw httpError(result.response, result.error);
}

/**
 * A typed client of gwsim's admin API (`/_sim`, openapi/admin.yaml): every request and answer is
 * typed from the spec's generated types. Failures are GatewayApiError, as in GatewayClient.
 */
export class AdminClient {
  private readonly http;

  constructor(options: AdminClientOptions) {
    this.http = createFetchClient<paths>({
      baseUrl: options.baseUrl.replace(/\/$/, ''),
      headers: {
        ...(options.token !== undefined ? { Authorization: `Bearer ${options.token}` } : {}),
        ...options.headers,
      },
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
  }

  reset(): Promise<Schemas['ResetResult']> {
    return answer(this.http.POST('/_sim/reset'));
  }

  clock(): Promise<AdminClock> {
    return answer(this.http.GET('/_sim/clock'));
  }

  /** Manual clock only: fires everything due within `ms`, then answers with the new time. */
  advance(ms: number): Promise<AdminClock> {
    return answer(this.http.POST('/_sim/clock/advance', { body: { ms } }));
  }

  createKey(body: AdminKeyRequest): Promise<AdminKey> {
    return answer(this.http.POST('/_sim/keys', { body }));
  }

  getKey(key: string): Promise<AdminKey> {
    return answer(this.http.GET('/_sim/keys/{key}', { params: { path: { key } } }));
  }

  topUp(key: string, add: number): Promise<AdminKey> {
    return answer(this.http.POST('/_sim/keys/{key}/credits', { params: { path: { key } }, body: { add } }));
  }

  listTasks(query: TaskFilter = {}): Promise<AdminTask[]> {
    return answer(this.http.GET('/_sim/tasks', { params: { query } }));
  }

  /** A task held in a status, for provider states (no credits move; never routed). */
  createTaskFixture(body: TaskFixture): Promise<AdminTask> {
    return answer(this.http.POST('/_sim/tasks', { body }));
  }

  ledger(key?: string): Promise<Ledger> {
    return answer(this.http.GET('/_sim/ledger', { params: { query: key === undefined ? {} : { key } } }));
  }

  webhooks(taskId?: string): Promise<Delivery[]> {
    return answer(
      this.http.GET('/_sim/webhooks', { params: { query: taskId === undefined ? {} : { task_id: taskId } } }),
    );
  }

  redeliver(id: string): Promise<Delivery> {
    return answer(this.http.POST('/_sim/webhooks/{id}/redeliver', { params: { path: { id } } }));
  }

  addFault(body: FaultRequest): Promise<Fault> {
    return answer(this.http.POST('/_sim/faults', { body }));
  }

  listFaults(): Promise<Fault[]> {
    return answer(this.http.GET('/_sim/faults'));
  }

  removeFault(id: string): Promise<Schemas['FaultRemoved']> {
    return answer(this.http.DELETE('/_sim/faults/{id}', { params: { path: { id } } }));
  }

  clearFaults(): Promise<{ removed: number }> {
    return answer(this.http.DELETE('/_sim/faults'));
  }

  catalog(): Promise<CatalogFigures> {
    return answer(this.http.GET('/_sim/catalog'));
  }

  /** Prometheus text. */
  metrics(): Promise<string> {
    return answer(this.http.GET('/_sim/metrics', { parseAs: 'text' }));
  }

  /** A page of the dashboard's task rows, newest first. */
  pageTasks(query: TaskPageQuery = {}): Promise<TaskPage> {
    return answer(this.http.GET('/_sim/ui/tasks', { params: { query } }));
  }

  taskDetail(id: string): Promise<TaskDetail> {
    return answer(this.http.GET('/_sim/ui/tasks/{id}', { params: { path: { id } } }));
  }
}

export const createAdminClient = (options: AdminClientOptions): AdminClient => new AdminClient(options);
