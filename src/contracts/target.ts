/** A JSON call to the target under verification, with the headers the user injected. */
export interface Target {
  baseUrl: string;
  /** Headers for `/_sim` admin calls (the admin token, when the target needs one). */
  adminHeaders: Record<string, string>;
}

export interface JsonReply<T = unknown> {
  status: number;
  body: T;
  headers: Headers;
}

/** Every call is bounded: a target that stops answering fails the step instead of hanging it. */
export async function call<T = unknown>(
  url: string,
  method: string,
  body?: unknown,
  headers: Record<string, string> = {},
  timeoutMs = 30_000,
): Promise<JsonReply<T>> {
  const res = await fetch(url, {
    method,
    signal: AbortSignal.timeout(timeoutMs),
    headers: { ...headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed as T, headers: res.headers };
}

/** A `/_sim` call that must succeed: provider states need a gwsim (or gwsim node) target. */
export async function admin<T = unknown>(target: Target, method: string, path: string, body?: unknown): Promise<T> {
  const r = await call<T>(`${target.baseUrl}/_sim${path}`, method, body, target.adminHeaders);
  if (r.status >= 300) {
    throw new Error(
      `provider state needs the target's admin API: ${method} /_sim${path} answered ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`,
    );
  }
  return r.body;
}

/** The manual clock moves only when told; a real one just needs a moment. */
export async function letTimePass(target: Target, ms: number): Promise<void> {
  const clock = await admin<{ mode: string }>(target, 'GET', '/clock');
  if (clock.mode === 'manual') await admin(target, 'POST', '/clock/advance', { ms });
  else await new Promise((r) => setTimeout(r, 20));
}

export type StateParams = Record<string, unknown> | undefined;
type StateFunc = (params?: StateParams) => Promise<Record<string, unknown> | undefined>;
/**
 * Provider state handlers as pact-js calls them for HTTP interactions. Its exported
 * VerifierOptions types `stateHandlers` as the intersection of this and the message-pact form,
 * which no function satisfies; verify.ts casts once where it hands them over.
 */
export type StateHandlers = Record<string, StateFunc | { setup?: StateFunc; teardown?: StateFunc }>;
