import { Router, type Request, type Response } from 'express';
import type { paths } from '../generated/admin.js';
import { readJson, sendError, sendJson, type ResponseCheck } from '../gateway/http.js';
import { taskView } from '../gateway/task.js';
import type { AdminService } from './admin-service.js';
import { adminGate, answerWrongMethods } from './admin-guard.js';

type Handler = (req: Request) => unknown;
type Method = 'get' | 'post' | 'delete';
/** Every `/_sim` path of openapi/admin.yaml, so a route the spec does not hold does not compile. */
export type AdminPath = keyof paths;
/** The response checks `validateResponses` turns on: `(spec path, method)` → a check of status and body. */
export type AdminChecks = (path: string, method: string) => ResponseCheck;

/** `/_sim/keys/{key}` as Express writes it, under the router's `/_sim` mount. */
export const expressPath = (path: AdminPath): string => path.slice('/_sim'.length).replace(/\{(\w+)\}/g, ':$1');

/**
 * `/_sim/*`: JSON in and out; errors in the gateway's envelope. With `token` set, every request
 * (any method, any path) must carry `Authorization: Bearer <token>`; a known path with another
 * method is 405. With `checkFor`, every JSON answer is checked against openapi/admin.yaml.
 */
export function adminRouter(admin: AdminService, token: string | undefined, checkFor?: AdminChecks): Router {
  const router = Router({ caseSensitive: true });
  router.use(adminGate(token));
  const add = (method: Method, path: AdminPath, status: number, fn: Handler) => {
    const check = checkFor?.(path, method);
    router[method](expressPath(path), async (req: Request, res: Response) => {
      try {
        sendJson(req, res, status, await fn(req), {}, check);
      } catch (err) {
        sendError(req, res, err, {}, check);
      }
    });
  };
  const base = (req: Request) => `${req.protocol}://${req.headers.host ?? 'localhost'}`;
  const param = (req: Request, name: string) => String(req.params[name]);

  add('post', '/_sim/reset', 200, async () => (await admin.reset(), { reset: true }));
  add('get', '/_sim/clock', 200, () => admin.clock());
  add('post', '/_sim/clock/advance', 200, async (req) => admin.advance(await readJson(req)));
  add('post', '/_sim/keys', 201, async (req) => admin.createKey(await readJson(req)));
  add('get', '/_sim/keys/{key}', 200, (req) => admin.getKey(param(req, 'key')));
  add('post', '/_sim/keys/{key}/credits', 200, async (req) => admin.topUp(param(req, 'key'), await readJson(req)));
  add('get', '/_sim/tasks', 200, async (req) =>
    (await admin.tasks(req.query)).map((t) => ({ ...taskView(t, base(req)), key: t.key })),
  );
  add('post', '/_sim/tasks', 201, async (req) =>
    ((t) => ({ ...taskView(t, base(req)), key: t.key }))(await admin.createTask(await readJson(req))),
  );
  add('get', '/_sim/ledger', 200, (req) => admin.ledger(req.query.key));
  add('get', '/_sim/webhooks', 200, (req) => admin.webhooks(req.query.task_id));
  add('post', '/_sim/webhooks/{id}/redeliver', 200, (req) => admin.redeliver(param(req, 'id')));
  add('post', '/_sim/faults', 201, async (req) => admin.addFault(await readJson(req)));
  add('get', '/_sim/faults', 200, () => admin.listFaults());
  add('delete', '/_sim/faults/{id}', 200, (req) => admin.removeFault(param(req, 'id')));
  add('delete', '/_sim/faults', 200, () => admin.clearFaults());
  add('get', '/_sim/catalog', 200, () => admin.catalog());
  const metricsCheck = checkFor?.('/_sim/metrics', 'get');
  router.get(expressPath('/_sim/metrics'), async (req: Request, res: Response) => {
    try {
      const text = await admin.metrics();
      res.writeHead(200, {
        'Content-Type': 'text/plain; version=0.0.4; charset=utf-8',
        'Content-Length': Buffer.byteLength(text),
      });
      res.end(text);
    } catch (err) {
      sendError(req, res, err, {}, metricsCheck);
    }
  });
  answerWrongMethods(router);
  return router;
}
