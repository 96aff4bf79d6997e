import { startPrism } from '../bench/processes.js';
import { PACT_KEY } from './participants.js';
import { checkGateway, checkKey } from './preflight.js';
import { admin, call, letTimePass, type JsonReply, type Target } from './target.js';

export interface Violation {
  step: string;
  message: string;
}

export interface StepResult {
  step: string;
  status: number;
  /** The spec's complaints (through Prism) and the journey's own: the status it expected, a task that never finished. */
  violations: string[];
  seconds: number;
}

export interface ConformanceOptions {
  target: string;
  spec: string;
  key: string;
  /** Sent as `Authorization: Bearer …` to the target's `/_sim` (the CLI passes GWSIM_ADMIN_TOKEN). */
  adminToken?: string | undefined;
}

/** Prism's complaints about one exchange: the `sl-violations` header, or its own error body. */
function violationsOf(reply: JsonReply): string[] {
  const out: string[] = [];
  const header = reply.headers.get('sl-violations');
  if (header) {
    for (const v of JSON.parse(header) as Array<{ location?: string[]; message?: string }>)
      out.push(`${(v.location ?? []).join('.')}: ${v.message ?? ''}`);
  }
  const body = reply.body as {
    type?: string;
    validation?: Array<{ location?: string[]; message?: string }>;
    detail?: string;
  } | null;
  if (body && typeof body.type === 'string' && body.type.includes('stoplight.io/prism/errors')) {
    const details = body.validation?.map((v) => `${(v.location ?? []).join('.')}: ${v.message ?? ''}`) ?? [
      body.detail ?? body.type,
    ];
    for (const d of details) if (!out.includes(d)) out.push(d);
  }
  return out;
}

const errorOf = (reply: JsonReply): string => {
  const e = (reply.body as { error?: { type?: string; message?: string } } | null)?.error;
  return e?.message ? ` (${e.type ?? 'error'}: ${e.message.slice(0, 120)})` : '';
};

/**
 * A scripted journey through `prism proxy --errors` in front of the target: every route, the
 * state-dependent errors, and a full task lifecycle. Only spec-valid requests are sent (Prism
 * answers invalid ones itself), so every violation is the target's. Targets with gwsim's admin
 * API get the states that need it (a key without credits, a rate-limited key, the clock).
 */
export async function runConformance(o: ConformanceOptions): Promise<StepResult[]> {
  // A dead target, a refused key or something else entirely is one clear error, not a journey of 5xx.
  const base = o.target.replace(/\/$/, '');
  await checkGateway(base, o.key);
  await checkKey(base, o.key);
  const prism = await startPrism(['proxy', '--errors', o.spec, o.target], 'gwsim conformance');
  const target: Target = {
    baseUrl: o.target.replace(/\/$/, ''),
    adminHeaders: o.adminToken ? { authorization: `Bearer ${o.adminToken}` } : {},
  };
  const hasAdmin =
    (await call(`${target.baseUrl}/_sim/clock`, 'GET', undefined, target.adminHeaders).catch(() => ({ status: 0 })))
      .status === 200;
  const results: StepResult[] = [];
  const auth = (key: string) => ({ authorization: `Bearer ${key}` });
  /** One exchange through Prism; `expect` is the status the journey needs here. */
  const step = async <T>(
    name: string,
    expect: number,
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = auth(o.key),
  ): Promise<JsonReply<T>> => {
    const started = performance.now();
    const reply = await call<T>(`${prism.url}${path}`, method, body, headers);
    const violations = violationsOf(reply);
    if (reply.status !== expect) violations.push(`expected ${expect}, got ${reply.status}${errorOf(reply)}`);
    results.push({ step: name, status: reply.status, violations, seconds: (performance.now() - started) / 1000 });
    return reply;
  };
  type TaskReply = { data?: { task_id: string; status: string } };
  try {
    await step('list models', 200, 'GET', '/api/v1/models');
    await step('read a model by sub-model id', 200, 'GET', '/api/v1/models/imagen4');
    await step('read credits', 200, 'GET', '/api/v1/credits');
    const body = {
      model: 'imagen4',
      prompt: 'A photorealistic bowl of ramen with steam rising',
      aspect_ratio: '16:9',
      num_images: 2,
    };
    const idem = { ...auth(o.key), 'idempotency-key': `conformance-${Date.now()}` };
    const sub = await step<TaskReply>('submit (async)', 200, 'POST', '/api/v1/images/generations', body, idem);
    const submitted = results.at(-1)!;
    await step('replay the submit (Idempotency-Key)', 200, 'POST', '/api/v1/images/generations', body, idem);
    await step(
      'reuse the Idempotency-Key with another body (422)',
      422,
      'POST',
      '/api/v1/images/generations',
      { ...body, num_images: 1 },
      idem,
    );
    const id = sub.body.data?.task_id;
    if (!id) submitted.violations.push('the submit answered no task_id');
    let last: string | undefined;
    for (let i = 0; id && i < 200; i++) {
      const t = await step<TaskReply>(`poll the task (${i + 1})`, 200, 'GET', `/api/v1/tasks/${id}`);
      last = t.body.data?.status;
      if (last === 'COMPLETED' || last === 'FAILED' || t.status !== 200) break;
      if (hasAdmin) await letTimePass(target, 1_000);
      else await new Promise((r) => setTimeout(r, 500));
    }
    if (id && last !== 'COMPLETED' && last !== 'FAILED')
      results.at(-1)?.violations.push(`the task never finished (last status ${last ?? 'none'})`);
    const sync = step('submit (sync cogview-4)', 200, 'POST', '/api/v1/images/generations', {
      model: 'cogview-4',
      prompt: 'A futuristic robot assistant in a kitchen',
      size: '1024*1024',
      quality: 'hd',
    });
    if (hasAdmin) {
      const pump = (async () => {
        for (let i = 0; i < 400 && results.every((r) => r.step !== 'submit (sync cogview-4)'); i++) {
          await letTimePass(target, 1_000);
          await new Promise((r) => setTimeout(r, 5));
        }
      })();
      await Promise.all([sync, pump]);
    } else await sync;
    await step('unknown key (401)', 401, 'GET', '/api/v1/credits', undefined, auth('aio_not_a_key_for_conformance'));
    await step('unknown task (404)', 404, 'GET', '/api/v1/tasks/n47nosuchtask00_imagen4');
    await step('unknown model (404)', 404, 'GET', '/api/v1/models/no-such-model');
    if (hasAdmin) {
      await admin(target, 'POST', '/keys', { key: `${PACT_KEY}_broke`, credits: 0 }).catch(() => undefined);
      await step('no credits (402)', 402, 'POST', '/api/v1/images/generations', body, auth(`${PACT_KEY}_broke`));
      await admin(target, 'POST', '/keys', {
        key: `${PACT_KEY}_slow`,
        credits: 100,
        rate_limit: { requests: 1, window_s: 3600 },
      }).catch(() => undefined);
      await step('within the rate limit', 200, 'GET', '/api/v1/credits', undefined, auth(`${PACT_KEY}_slow`));
      await step('over the rate limit (429)', 429, 'GET', '/api/v1/credits', undefined, auth(`${PACT_KEY}_slow`));
    }
  } finally {
    await prism.stop();
  }
  return results;
}
