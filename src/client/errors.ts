import { parseRetryAfter } from './retry-after.js';

/** Why a client call failed: the gateway said no (`http`), or no answer came in time, was aborted, or never arrived. */
export type ApiErrorKind = 'http' | 'timeout' | 'aborted' | 'network';

/** Every failure of the gwsim client, with the gateway's status and its error body's code, message and type. */
export class GatewayApiError extends Error {
  override readonly name = 'GatewayApiError';

  constructor(
    readonly kind: ApiErrorKind,
    /** HTTP status; 0 when no answer arrived. */
    readonly status: number,
    /** The error body's `code` (the gateway repeats the status there); 0 when there was no error body. */
    readonly code: number,
    message: string,
    /** From Retry-After, when the gateway sent one. */
    readonly retryAfterMs: number | null = null,
    readonly requestId: string | null = null,
    /** The error body's `type` (`invalid_request_error`, `authentication_error`, …); null when there was none. */
    readonly type: string | null = null,
  ) {
    super(message);
  }
}

/** A GatewayApiError from an answer that was not a success, reading the error body when it has one. */
export function httpError(response: Response, error: unknown): GatewayApiError {
  const body = (error as { error?: { code?: unknown; message?: unknown; type?: unknown } } | undefined)?.error ?? {};
  return new GatewayApiError(
    'http',
    response.status,
    typeof body.code === 'number' ? body.code : response.status,
    typeof body.message === 'string' ? body.message : `HTTP ${response.status}`,
    parseRetryAfter(response.headers.get('retry-after')) ?? null,
    response.headers.get('x-request-id'),
    typeof body.type === 'string' ? body.type : null,
  );
}
