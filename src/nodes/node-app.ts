import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { GatewayError } from '../gateway/errors.js';
import { readJson } from '../gateway/http.js';
import { nodeError, type NodeReply, type NodeService } from './node-service.js';
import { parseJobIds } from './job-batch.js';
import { isWebhookDelivery } from '../webhooks/delivery-marks.js';
import { nodeAdminRoute, type NodeFaultAdmin } from './node-admin.js';
import { consoleLogger, type Logger } from '../log/logger.js';
import { requestLog, type RequestPlace } from '../log/request-log.js';
import { clientRequestId, type RequestIdSource } from '../net/request-ids.js';

export type { NodeFaultAdmin } from './node-admin.js';

const JOB = /^\/v1\/jobs\/([^/?]+)\/?$/;
const FAULT = /^\/_sim\/faults\/[^/]+$/;
const FIXED_ROUTES = new Set([
  '/v1/health',
  '/v1/jobs',
  '/_sim/reset',
  '/_sim/jobs',
  '/_sim/clock',
  '/_sim/clock/advance',
  '/_sim/faults',
]);

/** A node request's route template, for its log line (none for a path no route has). */
function nodePlace(req: IncomingMessage): RequestPlace {
  const path = (req.url ?? '/').split('?')[0]!.replace(/(.)\/$/, '$1');
  if (FIXED_ROUTES.has(path)) return { route: path };
  if (JOB.test(path)) return { route: '/v1/jobs/{job_id}' };
  if (FAULT.test(path)) return { route: '/_sim/faults/{fault_id}' };
  return {};
}

/** How a node logs: its errors, and a line per request at `requestLevel` with ids from `requestIds`. */
export interface NodeLogging {
  logger: Logger;
  /** `info` for `gwsim node`; `debug` for a simulator's own nodes, whose calls are its internals. */
  requestLevel: 'info' | 'debug';
  requestIds: RequestIdSource;
}

function sendReply(res: ServerResponse, reply: NodeReply): void {
  if ('drop' in reply) {
    res.socket?.destroy();
    return;
  }
  if ('hang' in reply) return; // the socket stays open until the client gives up or the node stops
  const text = JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    ...reply.headers,
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(text),
  });
  res.end(text);
}

/**
 * openapi/node.yaml over HTTP. With `token`, job routes need `Authorization: Bearer <token>`.
 * `onHang` is told of each request the node holds without answering (a timeout fault).
 * With `admin`, `/_sim/*` arranges faults and job fixtures on this node (loopback only, like gwsim's own).
 * Without `logging`, errors go to stderr and requests are not logged.
 */
export function nodeApp(
  service: NodeService,
  token?: string,
  onHang?: (req: IncomingMessage) => void,
  admin?: NodeFaultAdmin,
  logging?: NodeLogging,
): RequestListener {
  const logger = logging?.logger ?? consoleLogger();
  const log = logging && requestLog(logging.logger, logging.requestLevel, () => 'node', nodePlace);
  return (req: IncomingMessage, res: ServerResponse) => {
    if (log && logging) log(req, res, clientRequestId(req) ?? logging.requestIds());
    const send = (out: ServerResponse, reply: NodeReply): void => {
      if ('hang' in reply) onHang?.(req);
      sendReply(out, reply);
    };
    void (async () => {
      const path = (req.url ?? '/').split('?')[0]!;
      if (admin && path.startsWith('/_sim/')) {
        // As on gwsim's own admin API: a webhook delivery never switches faults.
        if (isWebhookDelivery(req.headers))
          return send(res, nodeError(403, 'forbidden', 'the admin API does not take webhook deliveries'));
        return send(res, await nodeAdminRoute(req, path, admin, service));
      }
      if (path === '/v1/health' && (req.method === 'GET' || req.method === 'HEAD'))
        return send(res, await service.health());
      if (token !== undefined && req.headers.authorization !== `Bearer ${token}` && path.startsWith('/v1/jobs')) {
        return send(res, nodeError(401, 'unauthorized', 'missing or wrong node token'));
      }
      if (path === '/v1/jobs' || path === '/v1/jobs/') {
        if (req.method === 'GET') {
          const ids = parseJobIds((req.url ?? '').slice(path.length).replace(/^\?/, ''));
          return send(
            res,
            'problem' in ids ? nodeError(400, 'invalid_request', ids.problem) : await service.getJobs(ids),
          );
        }
        if (req.method !== 'POST') return send(res, nodeError(405, 'method_not_allowed', 'use GET or POST'));
        let body: unknown;
        try {
          body = await readJson(req);
        } catch (err) {
          const e = err instanceof GatewayError ? err : undefined;
          return send(res, nodeError(e?.status ?? 400, 'invalid_request', e?.message ?? 'unreadable body'));
        }
        return send(res, await service.submitJob(body));
      }
      const m = JOB.exec(path);
      if (m && req.method === 'GET') {
        let id: string;
        try {
          id = decodeURIComponent(m[1]!);
        } catch {
          return send(res, nodeError(400, 'invalid_request', 'bad percent-encoding in the job id'));
        }
        return send(res, await service.getJob(id));
      }
      return send(res, nodeError(404, 'not_found', `no route ${req.method} ${path.slice(0, 200)}`));
    })().catch((err: unknown) => {
      logger.error({ err }, 'node internal error');
      if (!res.headersSent) send(res, nodeError(500, 'internal', 'internal error'));
    });
  };
}
