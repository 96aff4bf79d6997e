import { Router, type Request, type Response } from 'express';
import { buildDashboardPage, type DashboardPage } from '../dashboard/page.js';
import { taskRow } from '../events/task-row.js';
import type { LiveEvents } from '../events/live-events.js';
import { errors } from '../gateway/errors.js';
import { sendError, sendJson } from '../gateway/http.js';
import { taskView, type TaskRecord } from '../gateway/task.js';
import type { NodeEmulator } from '../nodes/node-emulator.js';
import type { Store } from '../store/store.js';
import type { AdminService } from './admin-service.js';
import { bearerMatches } from './admin-guard.js';
import { openEventStream } from './event-stream.js';

export interface DashboardDeps {
  admin: AdminService;
  store: Store;
  live: LiveEvents;
  emulators: ReadonlyMap<string, NodeEmulator>;
  token: string | undefined;
}

const PAGE_PARAMS = new Set(['status', 'model', 'key', 'limit', 'cursor']);
const MAX_LIMIT = 500;

/** A query parameter given at most once, as text. */
function single(query: Request['query'], name: string): string | undefined {
  const v = query[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw errors.invalidRequest(`'${name}' must be given once`);
  return v;
}

/**
 * The live dashboard: `GET /_sim/ui` (the page), `GET /_sim/events` (its Server-Sent Events),
 * `GET /_sim/ui/tasks` (a page of tasks, newest first) and `GET /_sim/ui/tasks/{id}` (one task
 * with its webhook deliveries). The page itself holds no state, so it is served without the
 * admin token, and asks for the token when the data routes answer 401.
 */
export function dashboardRouter({ admin, store, live, emulators, token }: DashboardDeps): Router {
  const router = Router();
  let page: DashboardPage | undefined;
  const guard = (req: Request) => {
    if (token !== undefined && !bearerMatches(req.headers.authorization, token)) throw errors.adminForbidden();
  };
  const base = (req: Request) => `${req.protocol}://${req.headers.host ?? 'localhost'}`;
  /** A waiting task's place in its node's queue right now (the store has it as of the last poll). */
  const livePosition = (t: TaskRecord) =>
    t.status === 'IN_QUEUE' ? (emulators.get(t.node)?.get(t.id)?.queue_position ?? t.queuePosition) : t.queuePosition;

  router.get('/ui', (_req: Request, res: Response) => {
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

  router.get('/events', async (req: Request, res: Response) => {
    try {
      guard(req);
    } catch (err) {
      return sendError(req, res, err);
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
      console.error('gwsim: a dashboard stream could not start:', (err as Error).message);
      stream.close();
    }
  });

  router.get('/ui/tasks', async (req: Request, res: Response) => {
    try {
      guard(req);
      const unknown = Object.keys(req.query).find((k) => !PAGE_PARAMS.has(k));
      if (unknown !== undefined)
        throw errors.invalidRequest(
          `'${unknown.slice(0, 60)}' is not a parameter here (${[...PAGE_PARAMS].join(', ')})`,
        );
      const filter = admin.taskFilter(req.query);
      const limitText = single(req.query, 'limit');
      const limit = limitText === undefined ? 50 : /^\d{1,4}$/.test(limitText) ? Number(limitText) : NaN;
      if (!(limit >= 1 && limit <= MAX_LIMIT))
        throw errors.invalidRequest(`'limit' must be a whole number from 1 to ${MAX_LIMIT}`);
      const cursor = single(req.query, 'cursor');
      const result = await store.pageTasks(filter, limit, cursor);
      if (!result) throw errors.invalidRequest("'cursor' is not one this route gave out (use next_cursor of a page)");
      sendJson(req, res, 200, {
        tasks: result.tasks.map((t) => ({ ...taskRow(t), queue_position: livePosition(t) })),
        total: result.total,
        next_cursor: result.next,
      });
    } catch (err) {
      sendError(req, res, err);
    }
  });

  router.get('/ui/tasks/:id', async (req: Request, res: Response) => {
    try {
      guard(req);
      const id = String(req.params.id);
      const task = id.length <= 128 ? await store.getTask(id) : undefined;
      if (!task) throw errors.notFound(`Task not found: ${id.slice(0, 128)}`);
      sendJson(req, res, 200, {
        task: { ...taskView(task, base(req)), queue_position: livePosition(task), key: task.key },
        deliveries: await store.listDeliveries(task.id),
      });
    } catch (err) {
      sendError(req, res, err);
    }
  });
  return router;
}
