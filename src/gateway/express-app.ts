import express, { type Express, type NextFunction, type Request, type Response, type Router } from 'express';
import type { ImageCache } from '../images/image-cache.js';
import type { OpenApiDoc } from '../spec/load-spec.js';
import type { Store } from '../store/store.js';
import { errors } from './errors.js';
import { sendError } from './http.js';
import { imageRoute } from './image-route.js';
import { HTTP_METHODS } from './public-router.js';

export interface ExpressAppDeps {
  spec: OpenApiDoc;
  store: Store;
  images: ImageCache;
  /** `/_sim`; without it those paths are unknown routes (404), as on a real deployment. */
  admin?: Router | undefined;
}

/** `/api/v1/tasks/{task_id}` → `/api/v1/tasks/:task_id`. */
export const expressPath = (path: string): string => path.replace(/\{([^}]+)\}/g, ':$1');

/** Express for everything but the public API: images, `/_sim`, and the 404 and 405 answers. */
export function expressApp({ spec, store, images, admin }: ExpressAppDeps): Express {
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
