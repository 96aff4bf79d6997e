import type { components } from '../generated/gateway.js';

/** The error `type` values, from the spec's `ErrorType` enum. */
export type ErrorType = components['schemas']['ErrorType'];
/** The body of every error answer: the docs' `{"error": {code, message, type}}`. */
export type ErrorBody = components['schemas']['ErrorBody'];

/**
 * Every error the gateway answers with: a stable type, the HTTP status, a message that names the
 * field at fault. Turned into the docs' error body in one place (`sendError` in http.ts); nothing
 * else builds error bodies.
 */
export class GatewayError extends Error {
  constructor(
    readonly type: ErrorType,
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'GatewayError';
  }

  get body(): ErrorBody {
    return errorBody(this.status, this.message, this.type);
  }
}

export const errorBody = (code: number, message: string, type: ErrorType): ErrorBody => ({
  error: { code, message, type },
});

const err = (type: ErrorType, status: number, message: string, headers?: Record<string, string>) =>
  new GatewayError(type, status, message, headers);

export const errors = {
  malformedJson: (detail: string) => err('invalid_request_error', 400, `Malformed JSON body: ${detail}`),
  invalidRequest: (reason: string) => err('invalid_request_error', 400, `Invalid request: ${reason}`),
  unauthorized: () => err('authentication_error', 401, 'Missing or invalid API key: send Authorization: Bearer aio_…'),
  insufficientCredits: (price: number, available: number) =>
    err('insufficient_credits', 402, `Insufficient credits: this request costs ${price}, available ${available}`),
  taskNotFound: (id: string) => err('not_found_error', 404, `Task not found: ${id}`),
  modelNotFound: (id: string) => err('not_found_error', 404, `Model not found: ${id}`),
  routeNotFound: (method: string, path: string) => err('not_found_error', 404, `No route for ${method} ${path}`),
  notFound: (what: string) => err('not_found_error', 404, what),
  methodNotAllowed: (method: string, allow: string[]) =>
    err('invalid_request_error', 405, `Method ${method} is not allowed here; use ${allow.join(', ')}`, {
      Allow: allow.join(', '),
    }),
  idempotencyInProgress: (key: string) =>
    err('idempotency_error', 409, `Idempotency-Key '${key}' is in use by a request still in progress`, {
      'Retry-After': '1',
    }),
  idempotencyTaskGone: (key: string, taskId: string) =>
    err(
      'idempotency_error',
      409,
      `Idempotency-Key '${key}' made task ${taskId}, which is no longer kept (retention.finished_tasks): send a new key`,
    ),
  idempotencyMismatch: (key: string) =>
    err('idempotency_error', 422, `Idempotency-Key '${key}' was used with a different request body`),
  // Connection: close, so a client still sending a huge body is not read to its end.
  payloadTooLarge: (limit: number) =>
    err('invalid_request_error', 413, `Request body is larger than ${limit} bytes`, { Connection: 'close' }),
  unsupportedMediaType: (got: string | undefined) =>
    err('invalid_request_error', 415, `Content-Type must be application/json, got '${got ?? '(none)'}'`),
  unsupportedEncoding: (got: string) =>
    err('invalid_request_error', 415, `Content-Encoding '${got}' is not supported: send the body uncompressed`),
  rateLimited: (policy: string, retryAfter: number, headers: Record<string, string>) =>
    err('rate_limit_error', 429, `Rate limit exceeded: ${policy}; retry in ${retryAfter} s`, {
      ...headers,
      'Retry-After': String(retryAfter),
    }),
  adminForbidden: () =>
    err('authentication_error', 401, 'The admin API needs Authorization: Bearer $GWSIM_ADMIN_TOKEN'),
  webhookToAdmin: () => err('authentication_error', 403, 'The admin API does not take webhook deliveries'),
  unavailable: (message: string, retryAfter = 1) =>
    err('api_error', 503, message, { 'Retry-After': String(retryAfter) }),
  internal: () => err('api_error', 500, 'Internal error'),
};
