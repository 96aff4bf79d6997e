import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Request, Router } from 'express';
import type { ImageCache } from '../images/image-cache.js';
import type { OpenApiDoc } from '../spec/load-spec.js';
import type { Store } from '../store/store.js';
import { factsOf, sendError, tagRequest, type ResponseCheck } from './http.js';
import { publicRouter } from './public-router.js';
import type { GatewayService } from './service.js';
import type { BodyFilter } from './public-routes.js';
import type { Metrics } from '../metrics/metrics.js';
import type { Logger } from '../log/logger.js';
import { requestLog, type RequestPlace } from '../log/request-log.js';
import { clientRequestId, type RequestIdSource } from '../net/request-ids.js';

export interface AppDeps {
  spec: OpenApiDoc;
  service: GatewayService;
  store: Store;
  images: ImageCache;
  /** Builds `/_sim` (on its first request); without it those paths are unknown routes (404), as on a real deployment. */
  admin?: () => Promise<Router>;
  metrics: Metrics;
  /** Test-only: rewrite success bodies (see SimulatorOptions.renameResponseField). */
  bodyFilter?: BodyFilter;
  /** A response check per spec operation (tests validate every response against the spec). */
  checkFor?: (path: string, method: string) => ResponseCheck;
  /** This simulator's request ids (a client's sane `X-Request-Id` is kept instead). */
  requestIds: RequestIdSource;
  /** Internal errors, and a line per request at info. */
  logger: Logger;
}

/** Where a request went: the public router's tag, else the Express route that answered it (`/_sim/keys/:key`). */
function placeOf(req: IncomingMessage): RequestPlace {
  const facts = factsOf(req);
  if (facts?.route) return facts;
  const express = req as Partial<Request>;
  const route: unknown = express.route;
  const path = (route as { path?: unknown } | undefined)?.path;
  return typeof path === 'string' ? { route: `${express.baseUrl ?? ''}${path}` } : {};
}

const apiOf = (req: IncomingMessage) => (req.url?.startsWith('/_sim') ? 'admin' : 'public');

/**
 * Express and what sits behind it (images, `/_sim`, the 404 and 405 answers), loaded on the first
 * request the public router does not answer: start-up does not pay for loading Express (~40
 * modules), and the public API, which never touches it, does not wait for it.
 */
function lazyExpress(deps: AppDeps): RequestListener {
  let app: Promise<RequestListener> | undefined;
  const load = async (): Promise<RequestListener> => {
    const [{ expressApp }, admin] = await Promise.all([import('./express-app.js'), deps.admin?.()]);
    return expressApp({ spec: deps.spec, store: deps.store, images: deps.images, admin });
  };
  return (req, res) => {
    app ??= load();
    app.then(
      (listener) => listener(req, res),
      (err: unknown) => sendError(req, res, err),
    );
  };
}

/** The whole gateway as one request listener that never listens itself (tests and the CLI decide where). */
export function createApp(deps: AppDeps): RequestListener {
  const dispatch = publicRouter(deps.spec, deps.service, deps.metrics, deps.checkFor, deps.bodyFilter);
  const rest = lazyExpress(deps);
  const log = requestLog(deps.logger, 'info', apiOf, placeOf);
  return (req: IncomingMessage, res: ServerResponse) => {
    const id = clientRequestId(req) ?? deps.requestIds();
    tagRequest(req, { id, logger: deps.logger });
    log?.(req, res, id);
    if (!dispatch(req, res)) rest(req, res);
  };
}
