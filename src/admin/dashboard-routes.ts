import { Router, type Request, type Response } from 'express';
import { buildDashboardPage, type DashboardPage } from '../dashboard/page.js';
import { taskRow } from '../events/task-row.js';
import type { LiveEvents } from '../events/live-events.js';
import { errors } from '../gateway/errors.js';
import { factsOf, sendError, sendJson } from '../gateway/http.js';
import { taskView, type TaskRecord } from '../gateway/task.js';
import type { NodeEmulator } from '../nodes/node-emulator.js';
import type { Store } from '../store/store.js';
import { adminValidators } from '../spec/admin-validators.js';
import { adminQuery, type AdminService } from './admin-service.js';
import { adminGate, answerWrongMethods, bearerMatches } from './admin-guard.js';
import { expressPath, type AdminChecks } from './admin-routes.js';
import { openEventStream } from './event-stream.js';

export interface DashboardDeps {
  admin: AdminService;
  store: Store;
  live: LiveEvents;
  emulators: ReadonlyMap<string, NodeEmulator>;
  token: string | undefined;
  /** Check JSON answers against openapi/admin.yaml (`validateResponses`). */
  checkFor?: AdminChecks;
}

/**
 * The live dashboard: `GET /_sim/ui` (the page), `GET /_sim/events` (its Server-Sent Events),
 * `GET /_sim/ui/tasks` (a page of tasks, newest first) and `GET /_sim/ui/tasks/{id}` (one task
 * with its webhook deliveries). The page itself holds no state, so it is served without the
 * admin token, and asks for the token when the data routes answer 401.
 */
export function dashboardRouter({ admin, store, live, emulators, token, checkFor }: DashboardDeps): Router {
  const router = Router();
  // The page's parameters are the spec's; any other is refused rather than ignored.
  const pageParams = adminValidators()
    .queryParameters('/_sim/ui/tasks', 'get')
    .map((p) => p.name);
  const eventsCheck = checkFor?.('/_sim/events', 'get');
  const pageCheck = checkFor?.('/_sim/ui/tasks', 'get');
  const detailCheck = checkFor?.('/_sim/ui/tasks/{id}', 'get');
  let page: DashboardPage | undefined;
  const guard = (req: Request) => {
    if (token !== undefined && !bearerMatches(req.headers.authorization, token)) throw errors.adminForbidden();
  };
  const base = (req: Request) => `${req.protocol}://${req.headers.host ?? 'localhost'}`;
  /** A waiting task's place in its node's queue right now (the store has it as of the last poll). */
  const livePosition = async (t: TaskRecord) =>
    t.status === 'IN_QUEUE'
      ? ((await emulators.get(t.node)?.get(t.id))?.queue_position ?? t.queuePosition)
      : t.queuePosition;

  router.get(expressPath('/_sim/ui'), (_req: Request, res: Response) => {
    page ??= buildDashboardPage();
    res.writeHead(200, {
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Length': Buffer.byteLength(page.html),
      'Content-Security-Policy': page.csp,
      'Cache-Control': 'no-store',
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
    });
    res.end(page.html);
  });

  router.get(expressPath('/_sim/events'), async (req: Request, res: Response) => {
    try {
      guard(req);
    } catch (err) {
      return sendError(req, res, err, {}, eventsCheck);
    }
    const stream = openEventStream(req, res);
    let id = 0;
    try {
      stream.onClose(
        await live.subscribe({
          send: (event, data) => stream.send(event, data, String(++id)),
          close: () => stream.close(),
        }),
      );
    } catch (err) {
      // The store is away (say): end the stream, and the page tries again after its retry delay.
      factsOf(req)?.logger.warn({ err }, 'a dashboard stream could not start');
      stream.close();
    }
  });

  router.get(expressPath('/_sim/ui/tasks'), async (req: Request, res: Response) => {
    try {
      guard(req);
      const unknown = Object.keys(req.query).find((k) => !pageParams.includes(k));
      if (unknown !== undefined)
        throw errors.invalidRequest(`'${unknown.slice(0, 60)}' is not a parameter here (${pageParams.join(', ')})`);
      const values = adminQuery('/_sim/ui/tasks', 'get', req.query);
      const filter = admin.taskFilter(values);
      const cursor = values.cursor === undefined ? undefined : String(values.cursor);
      const result = await store.pageTasks(filter, Number(values.limit), cursor);
      if (!result) throw errors.invalidRequest("'cursor' is not one this route gave out (use next_cursor of a page)");
      sendJson(
        req,
        res,
        200,
        {
          tasks: await Promise.all(
            result.tasks.map(async (t) => ({ ...taskRow(t), queue_position: await livePosition(t) })),
          ),
          total: result.total,
          next_cursor: result.next,
        },
        {},
        pageCheck,
      );
    } catch (err) {
      sendError(req, res, err, {}, pageCheck);
    }
  });

  router.get(expressPath('/_sim/ui/tasks/{id}'), async (req: Request, res: Response) => {
    try {
      guard(req);
      const id = String(req.params.id);
      const task = id.length <= 128 ? await store.getTask(id) : undefined;
      if (!task) throw errors.notFound(`Task not found: ${id.slice(0, 128)}`);
      const detail = {
        task: { ...taskView(task, base(req)), queue_position: await livePosition(task), key: task.key },
        deliveries: await store.listDeliveries(task.id),
      };
      sendJson(req, res, 200, detail, {}, detailCheck);
    } catch (err) {
      sendError(req, res, err, {}, detailCheck);
    }
  });
  // Another method on these paths: the token first (as on every admin path), then 405 with Allow.
  router.use(adminGate(token));
  answerWrongMethods(router);
  return router;
}
