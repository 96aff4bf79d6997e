import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Router } from 'express';
import type { OpenApiDoc } from '../spec/load-spec.js';
import { errors } from './errors.js';
import { sendError, type ResponseCheck } from './http.js';
import { imageRoute } from './image-route.js';
import { publicOperations, secured } from './public-routes.js';
import type { GatewayService } from './service.js';
import type { Store } from '../store/store.js';
import type { ImageCache } from '../images/image-cache.js';

export interface AppDeps {
  spec: OpenApiDoc;
  service: GatewayService;
  store: Store;
  images: ImageCache;
  admin: Router;
  check?: ResponseCheck;
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** `/api/v1/tasks/{task_id}` → `/api/v1/tasks/:task_id`. */
export const expressPath = (path: string): string => path.replace(/\{([^}]+)\}/g, ':$1');

/**
 * The Express app, never listening (tests and the CLI decide where it runs). Public routes are
 * mounted from the spec's paths by operationId, so a spec operation without a handler, or a
 * handler without an operation, fails at start.
 */
export function createApp({ spec, service, store, images, admin, check }: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', false);

  const handlers = publicOperations({ service, check });
  const used = new Set<string>();
  for (const [path, item] of Object.entries(spec.paths)) {
    const methods = HTTP_METHODS.filter((m) => item[m]);
    for (const method of methods) {
      const id = item[method]!.operationId;
      const handler = id ? handlers[id] : undefined;
      if (!id || !handler) throw new Error(`no handler for ${method.toUpperCase()} ${path} (operationId ${id ?? 'missing'})`);
      used.add(id);
      app[method as 'get' | 'post'](expressPath(path), secured(service, handler, check));
    }
    const allow = methods.map((m) => m.toUpperCase());
    if (allow.includes('GET')) allow.push('HEAD');
    app.all(expressPath(path), (req, res) => sendError(req, res, errors.methodNotAllowed(req.method, allow)));
  }
  const unused = Object.keys(handlers).filter((id) => !used.has(id));
  if (unused.length > 0) throw new Error(`handlers with no operation in the spec: ${unused.join(', ')}`);

  app.get('/files/:task_id/:file', imageRoute(store, images));
  app.use('/_sim', admin);
  app.use((req, res) => sendError(req, res, errors.routeNotFound(req.method, req.path.slice(0, 200))));
  // Express calls this for errors thrown outside the handlers' own try/catch (e.g. a bad URI).
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const status = (err as { status?: unknown }).status;
    sendError(req, res, typeof status === 'number' && status >= 400 && status < 500 ? errors.invalidRequest((err as Error).message) : err);
  });
  return app;
}
