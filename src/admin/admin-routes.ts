import { Router, type Request, type Response } from 'express';
import { readJson, sendError, sendJson } from '../gateway/http.js';
import { taskView } from '../gateway/task.js';
import type { AdminService } from './admin-service.js';
import { adminGate, answerWrongMethods } from './admin-guard.js';

type Handler = (req: Request) => unknown;

/**
 * `/_sim/*`: JSON in and out; errors in the gateway's envelope. With `token` set, every request
 * (any method, any path) must carry `Authorization: Bearer <token>`; a known path with another
 * method is 405.
 */
export function adminRouter(admin: AdminService, token: string | undefined): Router {
  const router = Router({ caseSensitive: true });
  router.use(adminGate(token));
  const route = (status: number, fn: Handler) => async (req: Request, res: Response) => {
    try {
      sendJson(req, res, status, await fn(req));
    } catch (err) {
      sendError(req, res, err);
    }
  };
  const base = (req: Request) => `${req.protocol}://${req.headers.host ?? 'localhost'}`;
  const key = (req: Request) => String(req.params.key);

  router.post(
    '/reset',
    route(200, async () => (await admin.reset(), { reset: true })),
  );
  router.get(
    '/clock',
    route(200, () => admin.clock()),
  );
  router.post(
    '/clock/advance',
    route(200, async (req) => admin.advance(await readJson(req))),
  );
  router.post(
    '/keys',
    route(201, async (req) => admin.createKey(await readJson(req))),
  );
  router.get(
    '/keys/:key',
    route(200, (req) => admin.getKey(key(req))),
  );
  router.post(
    '/keys/:key/credits',
    route(200, async (req) => admin.topUp(key(req), await readJson(req))),
  );
  router.get(
    '/tasks',
    route(200, async (req) => (await admin.tasks(req.query)).map((t) => ({ ...taskView(t, base(req)), key: t.key }))),
  );
  router.post(
    '/tasks',
    route(201, async (req) =>
      ((t) => ({ ...taskView(t, base(req)), key: t.key }))(await admin.createTask(await readJson(req))),
    ),
  );
  router.get(
    '/ledger',
    route(200, (req) => admin.ledger(req.query.key)),
  );
  router.get(
    '/webhooks',
    route(200, (req) => admin.webhooks(req.query.task_id)),
  );
  router.post(
    '/webhooks/:id/redeliver',
    route(200, (req) => admin.redeliver(String(req.params.id))),
  );
  router.post(
    '/faults',
    route(201, async (req) => admin.addFault(await readJson(req))),
  );
  router.get(
    '/faults',
    route(200, () => admin.listFaults()),
  );
  router.delete(
    '/faults/:id',
    route(200, (req) => admin.removeFault(String(req.params.id))),
  );
  router.delete(
    '/faults',
    route(200, () => admin.clearFaults()),
  );
  router.get(
    '/catalog',
    route(200, () => admin.catalog()),
  );
  router.get('/metrics', async (req: Request, res: Response) => {
    try {
      const text = await admin.metrics();
      res.writeHead(200, {
        'Content-Type': 'text/plain; version=0.0.4; charset=utf-8',
        'Content-Length': Buffer.byteLength(text),
      });
      res.end(text);
    } catch (err) {
      sendError(req, res, err);
    }
  });
  answerWrongMethods(router);
  return router;
}
