import { call, type JsonReply } from './target.js';

/** A target that cannot be verified at all: unreachable, refusing the key, or not what it should be. One line, no stack. */
export class TargetError extends Error {
  override name = 'TargetError';
  constructor(
    message: string,
    /** Nothing answered at all (refused, no such host, timed out). */
    readonly unreachable = false,
  ) {
    super(message);
  }
}

const PROBE_MS = 5_000;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Why a fetch failed, as a person says it. */
function networkReason(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `no answer within ${PROBE_MS / 1000} s`;
  const code = e.cause?.code;
  const words: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ENOTFOUND: 'no such host',
    EAI_AGAIN: 'the host name did not resolve',
    ECONNRESET: 'the connection was reset',
    EHOSTUNREACH: 'host unreachable',
  };
  return code
    ? `${words[code] ?? e.cause?.message ?? 'network error'} (${code})`
    : (e.cause?.message ?? e.message ?? 'network error');
}

/** One bounded request; a network failure is a TargetError naming the target. */
export async function probe<T = unknown>(
  base: string,
  path: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<JsonReply<T>> {
  try {
    return await call<T>(`${base}${path}`, method, undefined, headers, PROBE_MS);
  } catch (err) {
    throw new TargetError(`cannot reach ${base}: ${networkReason(err)}`, true);
  }
}

const snippet = (r: JsonReply): string =>
  `${r.status} ${r.headers.get('content-type') ?? 'no content type'}${typeof r.body === 'string' ? ` "${r.body.slice(0, 60).replace(/\s+/g, ' ')}"` : ''}`;

/** The docs' success envelope or their error shape: what every answer of an API in One gateway is. */
export function isGatewayAnswer(body: unknown): boolean {
  if (!isObject(body)) return false;
  if (typeof body.code === 'number' && typeof body.message === 'string' && 'data' in body) return true;
  return isObject(body.error) && typeof body.error.code === 'number' && typeof body.error.message === 'string';
}

const bearer = (key: string | undefined): Record<string, string> => (key ? { authorization: `Bearer ${key}` } : {});

/** The target answers `/api/v1/models` as an API in One gateway would (with or without a key). */
export async function checkGateway(base: string, key?: string): Promise<void> {
  const r = await probe(base, '/api/v1/models', bearer(key));
  if (!isGatewayAnswer(r.body))
    throw new TargetError(`${base} is not an API in One gateway: GET /api/v1/models answered ${snippet(r)}`);
}

/**
 * The key's available credits, or a TargetError naming the 401 (or whatever else came back).
 * Read from `balance` − `held`, so a gateway that drifted on `available` is still measured, and
 * the pact's own interaction is what reports the drift.
 */
export async function checkKey(base: string, key: string): Promise<{ available: number }> {
  const r = await probe<{ data?: { balance?: unknown; held?: unknown }; error?: { message?: string; type?: string } }>(
    base,
    '/api/v1/credits',
    bearer(key),
  );
  if (r.status === 401)
    throw new TargetError(
      `the key was refused: GET /api/v1/credits answered 401 (${r.body.error?.type ?? 'unauthorized'}: ${r.body.error?.message ?? ''})`,
    );
  const { balance, held } = r.body.data ?? {};
  if (r.status !== 200 || typeof balance !== 'number' || typeof held !== 'number')
    throw new TargetError(
      `GET /api/v1/credits answered ${snippet(r)} without data.balance and data.held: not the key's credits`,
    );
  return { available: balance - held };
}

/** The target answers `/v1/health` as a provider node of openapi/node.yaml would. */
export async function checkNode(base: string): Promise<void> {
  const r = await probe<{ node?: unknown; status?: unknown }>(base, '/v1/health');
  if (r.status !== 200 || !isObject(r.body) || typeof r.body.node !== 'string')
    throw new TargetError(`${base} is not a provider node: GET /v1/health answered ${snippet(r)}`);
}

/**
 * Whether the target has gwsim's admin API (`/_sim`), so provider states can be made by
 * construction; otherwise verification runs live. A `/_sim` that wants a token is an error.
 */
export async function hasAdmin(base: string, adminHeaders: Record<string, string>): Promise<boolean> {
  const r = await probe<{ mode?: unknown }>(base, '/_sim/clock', adminHeaders);
  if (r.status === 401)
    throw new TargetError(
      `${base}/_sim answered 401: set GWSIM_ADMIN_TOKEN to its admin token, or pass --live to verify through the public API`,
    );
  return r.status === 200 && isObject(r.body) && (r.body.mode === 'real' || r.body.mode === 'manual');
}
