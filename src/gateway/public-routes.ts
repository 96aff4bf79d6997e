import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KeyRecord } from '../store/store.js';
import { errors } from './errors.js';
import { readJson, sendError, sendJson, sendJsonText, type Headers, type ResponseCheck } from './http.js';
import type { Admission, GatewayService } from './service.js';
import { taskView } from './task.js';
import type { TaskViewCache } from './task-views.js';
import type { RequestMeter } from '../metrics/metrics.js';

export interface OperationContext {
  req: IncomingMessage;
  params: Record<string, string>;
  /** Authenticated and counted against its rate limit already. */
  key: KeyRecord;
  /** `http://host:port` as the client addressed us, for absolute image URLs. */
  baseUrl: string;
}

/** The envelope's `data` (and extra headers), or `json`: that data already serialized (a cached task view). */
export type OperationResult = { data: unknown; headers?: Headers } | { json: string; headers?: Headers };

/** A public operation: plain data in, an OperationResult out. */
export type Operation = (ctx: OperationContext) => Promise<OperationResult>;

/**
 * An operation that admits its request itself (in its own store step), telling `admitted` the key
 * and RateLimit headers as soon as they are known, so an error after that still carries them.
 */
export interface SelfAdmitted {
  admits: (ctx: Omit<OperationContext, 'key'>, admitted: (a: Admission) => void) => Promise<OperationResult>;
}

const MAX_ID = 128;
/** The header of a submit answered from its Idempotency-Key's earlier task (never changed: the sender copies it). */
const REPLAYED: Readonly<Headers> = { 'Idempotent-Replayed': 'true' };

function param(ctx: OperationContext, name: string): string {
  const value = ctx.params[name] ?? '';
  if (value.length > MAX_ID) throw errors.invalidRequest(`'${name}' must be at most ${MAX_ID} characters`);
  return value;
}

/**
 * The handlers of openapi/gateway.yaml, by operationId. With `views`, a task read answers with
 * its cached JSON (only when no response check or body filter needs the view as an object).
 */
export function publicOperations(
  service: GatewayService,
  views?: TaskViewCache,
): Record<string, Operation | SelfAdmitted> {
  return {
    // Admits its own request: with a valid body the key, its window and the task are one store step.
    createImageGeneration: {
      admits: async (ctx, admitted) => {
        const auth = ctx.req.headers.authorization;
        let body: unknown;
        try {
          body = await readJson(ctx.req);
        } catch (err) {
          // 401 and 429 come before a body's 415, 413 or 400.
          admitted(await service.admit(auth));
          throw err;
        }
        const idem = ctx.req.headers['idempotency-key'];
        const { task, replayed } = await service.admitAndSubmit(
          auth,
          body,
          Array.isArray(idem) ? idem[0] : idem,
          ctx.req.headers.host,
          admitted,
        );
        const data = taskView(task, ctx.baseUrl);
        return replayed ? { data, headers: REPLAYED } : { data };
      },
    },
    getTask: async (ctx) => {
      const task = await service.getTask(ctx.key, param(ctx, 'task_id'));
      return views ? { json: views.json(task, ctx.baseUrl) } : { data: taskView(task, ctx.baseUrl) };
    },
    listModels: async () => ({ data: service.listModels() }),
    // No model id is that long, so an overlong one is an unknown model: 404 (the spec declares no 400 here).
    getModel: async (ctx) => {
      const id = ctx.params.model_id ?? '';
      if (id.length > MAX_ID) throw errors.modelNotFound(`${id.slice(0, MAX_ID)}…`);
      return { data: service.getModel(id) };
    },
    getCredits: async (ctx) => ({ data: await service.credits(ctx.key) }),
  };
}

/** Rewrites a success body before it is sent: only the test-only `renameResponseField` fault uses it. */
export type BodyFilter = (body: unknown) => unknown;

/** The headers of an answer before the key's rate window is known (shared: never written to). */
const NO_HEADERS: Readonly<Headers> = Object.freeze({});

/** Run an operation behind auth and rate limiting, and count it (`meter`); the one path from operation to response. */
export function secured(
  service: GatewayService,
  op: Operation | SelfAdmitted,
  meter: RequestMeter,
  check?: ResponseCheck,
  filter?: BodyFilter,
) {
  return async (req: IncomingMessage, res: ServerResponse, params: Record<string, string>): Promise<void> => {
    const t0 = performance.now();
    let limits: Readonly<Headers> = NO_HEADERS;
    try {
      const baseUrl = `http://${req.headers.host ?? 'localhost'}`;
      let result: OperationResult;
      if (typeof op === 'function') {
        const admitted = await service.admit(req.headers.authorization);
        limits = admitted.limits;
        result = await op({ req, params, key: admitted.key, baseUrl });
      } else {
        result = await op.admits({ req, params, baseUrl }, (a) => {
          limits = a.limits;
        });
      }
      const headers = result.headers ? { ...limits, ...result.headers } : limits;
      if ('json' in result) {
        // The bytes JSON.stringify gives the envelope object below.
        sendJsonText(req, res, 200, `{"code":200,"message":"success","data":${result.json}}`, headers);
      } else {
        const body = { code: 200, message: 'success', data: result.data };
        sendJson(req, res, 200, filter ? filter(body) : body, headers, check);
      }
    } catch (err) {
      sendError(req, res, err, limits, check);
    }
    meter(res.statusCode, (performance.now() - t0) / 1000);
  };
}
