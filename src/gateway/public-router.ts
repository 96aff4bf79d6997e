import type { IncomingMessage, ServerResponse } from 'node:http';
import type { OpenApiDoc } from '../spec/load-spec.js';
import { errors } from './errors.js';
import { factsOf, sendError, type ResponseCheck } from './http.js';
import { publicOperations, secured, type BodyFilter } from './public-routes.js';
import type { GatewayService } from './service.js';
import { TaskViewCache } from './task-views.js';
import type { Metrics } from '../metrics/metrics.js';

/** Handles the request and returns true, or returns false to let the next handler have it. */
export type Dispatch = (req: IncomingMessage, res: ServerResponse) => boolean;

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** The params of a path with none (never written to: handlers only read them). */
const NO_PARAMS: Record<string, string> = Object.freeze({});

interface Route {
  method: string;
  /** The spec's path and operationId, for the request's log line. */
  path: string;
  operation: string;
  pattern: RegExp;
  names: string[];
  run: (req: IncomingMessage, res: ServerResponse, params: Record<string, string>) => Promise<void>;
}

/**
 * The path of a request target, without its query. A server must accept the absolute form too
 * (`GET http://host/api/v1/credits`, RFC 9112 §3.2.2: what a client that takes gwsim for a proxy
 * sends); the asterisk form and anything else match no route.
 */
export function targetPath(url: string): string {
  let start = 0;
  if (url.charCodeAt(0) !== 0x2f /* '/' */) {
    const scheme = url.indexOf('://');
    if (scheme < 0) return url;
    const slash = url.indexOf('/', scheme + 3);
    const query = url.indexOf('?', scheme + 3);
    if (slash < 0 || (query >= 0 && query < slash)) return '/';
    start = slash;
  }
  const q = url.indexOf('?', start);
  return q < 0 ? (start === 0 ? url : url.slice(start)) : url.slice(start, q);
}

/** `/api/v1/tasks/{task_id}` → a regex capturing one path segment per parameter. */
function compile(path: string): { pattern: RegExp; names: string[] } {
  const names: string[] = [];
  const source = path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{([^}]+)\\?\}/g, (_m, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { pattern: new RegExp(`^${source}/?$`), names };
}

/**
 * The public API, routed straight from the spec's paths and operationIds, ahead of Express: the
 * hot routes skip Express's per-request setup, which costs more than the simulation itself. A
 * spec operation with no handler, or a handler with no operation, fails at start. Wrong methods
 * and unknown paths fall through to Express, which answers 405 and 404.
 */
export function publicRouter(
  spec: OpenApiDoc,
  service: GatewayService,
  metrics: Metrics,
  checkFor?: (path: string, method: string) => ResponseCheck,
  filter?: BodyFilter,
): Dispatch {
  // Cached task views are sent as text, so not where a check or filter must see each body as an object.
  const handlers = publicOperations(service, checkFor || filter ? undefined : new TaskViewCache());
  const used = new Set<string>();
  const routes: Route[] = [];
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const method of HTTP_METHODS) {
      const op = item[method];
      if (!op) continue;
      const handler = op.operationId ? handlers[op.operationId] : undefined;
      if (!handler)
        throw new Error(`no handler for ${method.toUpperCase()} ${path} (operationId ${op.operationId ?? 'missing'})`);
      used.add(op.operationId!);
      const operation = op.operationId!;
      routes.push({
        method: method.toUpperCase(),
        path,
        operation,
        ...compile(path),
        run: secured(service, handler, metrics.requestMeter(operation), checkFor?.(path, method), filter),
      });
    }
  }
  const unused = Object.keys(handlers).filter((id) => !used.has(id));
  if (unused.length > 0) throw new Error(`handlers with no operation in the spec: ${unused.join(', ')}`);

  return (req, res) => {
    const path = targetPath(req.url ?? '/');
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    for (const route of routes) {
      if (route.method !== method) continue;
      const m = route.pattern.exec(path);
      if (!m) continue;
      const facts = factsOf(req);
      if (facts) {
        facts.operation = route.operation;
        facts.route = route.path;
      }
      const params: Record<string, string> = route.names.length === 0 ? NO_PARAMS : {};
      try {
        for (let i = 0; i < route.names.length; i++) params[route.names[i]!] = decodeURIComponent(m[i + 1]!);
      } catch {
        sendError(req, res, errors.invalidRequest(`the path ${path.slice(0, 200)} is not valid percent-encoding`));
        return true;
      }
      void route.run(req, res, params);
      return true;
    }
    return false;
  };
}
