import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import express, { type Express, type NextFunction, type Request, type Response, type Router } from 'express';
import type { ImageCache } from '../images/image-cache.js';
import type { OpenApiDoc } from '../spec/load-spec.js';
import type { Store } from '../store/store.js';
import { errors } from './errors.js';
import { factsOf, sendError, tagRequest, type ResponseCheck } from './http.js';
import { imageRoute } from './image-route.js';
import { HTTP_METHODS, publicRouter } from './public-router.js';
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
  /** `/_sim`; without it those paths are unknown routes (404), as on a real deployment. */
  admin?: Router;
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

/** `/api/v1/tasks/{task_id}` → `/api/v1/tasks/:task_id`. */
export const expressPath = (path: string): string => path.replace(/\{([^}]+)\}/g, ':$1');

/** Express for everything but the public API: images, `/_sim`, and the 404 and 405 answers. */
function expressApp({ spec, store, images, admin }: AppDeps): Express {
  const app = express();
  // Paths match as the spec writes them (the public router's are case-sensitive too): /API/V1/CREDITS is no route.
  app.set('case sensitive routing', true);
  app.disable('x-powered-by');
  app.set('etag', false);
  for (const [path, item] of Object.entries(spec.paths)) {
    const allow = HTTP_METHODS.filter((m) => item[m]).map((m) => m.toUpperCase());
    if (allow.includes('GET')) allow.push('HEAD');
    app.all(expressPath(path), (req, res) => sendError(req, res, errors.methodNotAllowed(req.method, allow)));
  }
  app.get('/files/:task_id/:token/:file', imageRoute(store, images));
  if (admin) app.use('/_sim', admin);
  app.use((req, res) => sendError(req, res, errors.routeNotFound(req.method, req.path.slice(0, 200))));
  // Errors raised outside the handlers' own try/catch (a malformed URI, say) end here.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const status = (err as { status?: unknown }).status;
    sendError(
      req,
      res,
      typeof status === 'number' && status >= 400 && status < 500 ? errors.invalidRequest((err as Error).message) : err,
    );
  });
  return app;
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

/** The whole gateway as one request listener that never listens itself (tests and the CLI decide where). */
export function createApp(deps: AppDeps): RequestListener {
  const dispatch = publicRouter(deps.spec, deps.service, deps.metrics, deps.checkFor, deps.bodyFilter);
  const app = expressApp(deps);
  const log = requestLog(deps.logger, 'info', apiOf, placeOf);
  return (req: IncomingMessage, res: ServerResponse) => {
    const id = clientRequestId(req) ?? deps.requestIds();
    tagRequest(req, { id, logger: deps.logger });
    log?.(req, res, id);
    if (!dispatch(req, res)) app(req, res);
  };
}
