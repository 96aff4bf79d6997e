/**
 * Every error the gateway answers with: a stable type, the HTTP status, a message that names the
 * field at fault. Turned into the `{code, message, data: null}` envelope in one place
 * (`sendError` in http.ts); nothing else builds error bodies.
 */
export class GatewayError extends Error {
  constructor(
    readonly type: string,
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'GatewayError';
  }
}

const err = (type: string, status: number, message: string, headers?: Record<string, string>) => new GatewayError(type, status, message, headers);

export const errors = {
  malformedJson: (detail: string) => err('malformed_json', 400, `Malformed JSON body: ${detail}`),
  invalidRequest: (reason: string) => err('invalid_request', 400, `Invalid request: ${reason}`),
  unauthorized: () => err('unauthorized', 401, 'Missing or invalid API key: send Authorization: Bearer aio_…'),
  insufficientCredits: (price: number, available: number) =>
    err('insufficient_credits', 402, `Insufficient credits: this request costs ${price}, available ${available}`),
  taskNotFound: (id: string) => err('task_not_found', 404, `Task not found: ${id}`),
  modelNotFound: (id: string) => err('model_not_found', 404, `Model not found: ${id}`),
  routeNotFound: (method: string, path: string) => err('route_not_found', 404, `No route for ${method} ${path}`),
  notFound: (what: string) => err('not_found', 404, what),
  methodNotAllowed: (method: string, allow: string[]) =>
    err('method_not_allowed', 405, `Method ${method} is not allowed here; use ${allow.join(', ')}`, { Allow: allow.join(', ') }),
  idempotencyInProgress: (key: string) =>
    err('idempotency_in_progress', 409, `Idempotency-Key '${key}' is in use by a request still in progress`, { 'Retry-After': '1' }),
  idempotencyMismatch: (key: string) => err('idempotency_mismatch', 422, `Idempotency-Key '${key}' was used with a different request body`),
  // Connection: close, so a client still sending a huge body is not read to its end.
  payloadTooLarge: (limit: number) => err('payload_too_large', 413, `Request body is larger than ${limit} bytes`, { Connection: 'close' }),
  unsupportedMediaType: (got: string | undefined) =>
    err('unsupported_media_type', 415, `Content-Type must be application/json, got '${got ?? '(none)'}'`),
  rateLimited: (policy: string, retryAfter: number, headers: Record<string, string>) =>
    err('rate_limited', 429, `Rate limit exceeded: ${policy}; retry in ${retryAfter} s`, { ...headers, 'Retry-After': String(retryAfter) }),
  adminForbidden: () => err('admin_unauthorized', 401, 'The admin API needs Authorization: Bearer $GWSIM_ADMIN_TOKEN'),
  unavailable: (message: string, retryAfter = 1) => err('unavailable', 503, message, { 'Retry-After': String(retryAfter) }),
  internal: () => err('internal', 500, 'Internal error'),
};
