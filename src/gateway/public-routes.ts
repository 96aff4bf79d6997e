import type { IncomingMessage, ServerResponse } from 'node:http';
import type { KeyRecord } from '../store/store.js';
import { errors } from './errors.js';
import { readJson, sendError, sendJson, type Headers, type ResponseCheck } from './http.js';
import type { Admission, GatewayService } from './service.js';
import { taskView } from './task.js';

export interface OperationContext {
  req: IncomingMessage;
  params: Record<string, string>;
  /** Authenticated and counted against its rate limit already. */
  key: KeyRecord;
  /** `http://host:port` as the client addressed us, for absolute image URLs. */
  baseUrl: string;
}

export interface OperationResult {
  data: unknown;
  headers?: Headers;
}

/** A public operation: plain data in, the envelope's `data` (and extra headers) out. */
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

/** The handlers of openapi/gateway.yaml, by operationId. */
export function publicOperations(service: GatewayService): Record<string, Operation | SelfAdmitted> {
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
    getTask: async (ctx) => ({ data: taskView(await service.getTask(ctx.key, param(ctx, 'task_id')), ctx.baseUrl) }),
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

/** Run an operation behind auth and rate limiting; the one path from operation to response. */
/** Rewrites a success body before it is sent: only the test-only `renameResponseField` fault uses it. */
export type BodyFilter = (body: unknown) => unknown;

export function secured(
  service: GatewayService,
  op: Operation | SelfAdmitted,
  check?: ResponseCheck,
  filter?: BodyFilter,
) {
  return async (req: IncomingMessage, res: ServerResponse, params: Record<string, string>): Promise<void> => {
    let limits: Headers = {};
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
      const { data, headers } = result;
      const body = { code: 200, message: 'success', data };
      sendJson(req, res, 200, filter ? filter(body) : body, headers ? { ...limits, ...headers } : limits, check);
    } catch (err) {
      sendError(req, res, err, limits, check);
    }
  };
}
