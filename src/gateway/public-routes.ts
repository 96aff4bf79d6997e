import type { Request, Response } from 'express';
import type { KeyRecord } from '../store/store.js';
import { errors } from './errors.js';
import { readJson, sendError, sendJson, type Headers, type ResponseCheck } from './http.js';
import type { GatewayService } from './service.js';
import { taskView } from './task.js';

/** A public operation: the key is authenticated and counted against its rate limit already. */
type Operation = (req: Request, res: Response, key: KeyRecord, headers: Headers) => Promise<void>;

export interface PublicRouteDeps {
  service: GatewayService;
  check?: ResponseCheck;
}

const MAX_ID = 128;

/** The handlers of openapi/gateway.yaml by operationId; app.ts mounts them at the spec's paths. */
export function publicOperations({ service, check }: PublicRouteDeps): Record<string, Operation> {
  const ok = (req: Request, res: Response, data: unknown, headers: Headers) =>
    sendJson(req, res, 200, { code: 200, message: 'success', data }, headers, check);
  const baseUrl = (req: Request) => `${req.protocol}://${req.headers.host ?? 'localhost'}`;
  const param = (req: Request, name: string): string => {
    const value = String(req.params[name] ?? '');
    if (value.length > MAX_ID) throw errors.invalidRequest(`'${name}' must be at most ${MAX_ID} characters`);
    return value;
  };

  return {
    createImageGeneration: async (req, res, key, headers) => {
      const body = await readJson(req);
      const idem = req.headers['idempotency-key'];
      const { task, replayed } = await service.submit(key, body, Array.isArray(idem) ? idem[0] : idem);
      ok(req, res, taskView(task, baseUrl(req)), replayed ? { ...headers, 'Idempotent-Replayed': 'true' } : headers);
    },
    getTask: async (req, res, key, headers) => {
      ok(req, res, taskView(await service.getTask(key, param(req, 'task_id')), baseUrl(req)), headers);
    },
    listModels: async (req, res, _key, headers) => ok(req, res, service.listModels(), headers),
    getModel: async (req, res, _key, headers) => ok(req, res, service.getModel(param(req, 'model_id')), headers),
    getCredits: async (req, res, key, headers) => ok(req, res, await service.credits(key), headers),
  };
}

/** Wrap an operation with auth and rate limiting; every error goes out through sendError. */
export function secured(service: GatewayService, op: Operation, check?: ResponseCheck) {
  return async (req: Request, res: Response): Promise<void> => {
    let headers: Headers = {};
    try {
      const key = await service.authenticate(req.headers.authorization);
      headers = await service.rateLimit(key);
      await op(req, res, key, headers);
    } catch (err) {
      sendError(req, res, err, headers, check);
    }
  };
}
