import type { NextFunction, Request, Response, Router } from 'express';
import { errors } from '../gateway/errors.js';
import { sendError } from '../gateway/http.js';
import { isWebhookDelivery } from '../webhooks/delivery-marks.js';
import { secretsEqual } from '../secrets.js';
import { bearerCredential } from '../net/bearer.js';

/** `Authorization: Bearer <token>` with the right token. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  return secretsEqual(bearerCredential(header) ?? '', token);
}

/**
 * First on every admin request, whatever its method or path: the token (when one is set), then
 * no webhook deliveries, even on loopback (a callback_url can never name gwsim itself; this is
 * the second lock).
 */
export function adminGate(token: string | undefined) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (token !== undefined && !bearerMatches(req.headers.authorization, token))
      return sendError(req, res, errors.adminForbidden());
    if (isWebhookDelivery(req.headers)) return sendError(req, res, errors.webhookToAdmin());
    next();
  };
}

interface RouteLayer {
  route?: { path: unknown; methods: Record<string, boolean> };
}

/**
 * Call after the routes are added: every path the router has answers any other method with 405
 * and `Allow` (HEAD wherever GET is), OPTIONS included, instead of falling through to 404.
 */
export function answerWrongMethods(router: Router): void {
  const allowed = new Map<string, Set<string>>();
  for (const layer of router.stack as RouteLayer[]) {
    if (!layer.route || typeof layer.route.path !== 'string') continue;
    const set = allowed.get(layer.route.path) ?? new Set<string>();
    for (const m of Object.keys(layer.route.methods)) set.add(m.toUpperCase());
    if (set.has('GET')) set.add('HEAD');
    allowed.set(layer.route.path, set);
  }
  for (const [path, methods] of allowed) {
    const allow = [...methods];
    router.all(path, (req, res) => sendError(req, res, errors.methodNotAllowed(req.method, allow)));
  }
}
