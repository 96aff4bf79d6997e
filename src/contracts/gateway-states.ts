import { PACT_KEY } from './participants.js';
import { admin, call, letTimePass, type StateHandlers, type StateParams, type Target } from './target.js';

const IMAGEN = { model: 'imagen4', prompt: 'A photorealistic bowl of ramen with steam rising', aspect_ratio: '1:1' };
type TaskBody = { data?: { task_id: string; status: string } };

async function submit(target: Target, body: object = IMAGEN): Promise<string> {
  const r = await call<TaskBody>(`${target.baseUrl}/api/v1/images/generations`, 'POST', body, { authorization: `Bearer ${PACT_KEY}` });
  if (r.status !== 200 || !r.body.data) throw new Error(`provider state: submit answered ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
  return r.body.data.task_id;
}

async function status(target: Target, id: string): Promise<string | undefined> {
  return (await call<TaskBody>(`${target.baseUrl}/api/v1/tasks/${id}`, 'GET', undefined, { authorization: `Bearer ${PACT_KEY}` })).body.data?.status;
}

/** Let time pass until the task reaches `want` (bounded). */
async function until(target: Target, id: string, want: string, stepMs: number): Promise<boolean> {
  for (let i = 0; i < 200; i++) {
    const s = await status(target, id);
    if (s === want) return true;
    if (s === 'COMPLETED' || s === 'FAILED') return false;
    await letTimePass(target, stepMs);
  }
  return false;
}

/** A task of the pact key in the given status; its id is injected into the interaction's path. */
async function taskIn(target: Target, want: string): Promise<{ task_id: string }> {
  if (want === 'FAILED') {
    const fault = await admin<{ id: string }>(target, 'POST', '/faults', { target: 'model:imagen-4', kind: 'error_rate', value: 1 });
    try {
      const id = await submit(target);
      if (await until(target, id, 'FAILED', 60_000)) return { task_id: id };
    } finally {
      await admin(target, 'DELETE', `/faults/${fault.id}`);
    }
    throw new Error('provider state: could not make a FAILED task');
  }
  // A node with room starts a task at once: to see one wait, take node47's room away (reset undoes it).
  if (want === 'IN_QUEUE') await admin(target, 'POST', '/faults', { target: 'node47', kind: 'capacity', value: 0 });
  for (let attempt = 0; attempt < 5; attempt++) {
    const id = await submit(target);
    if (want === 'IN_QUEUE' && (await status(target, id)) === 'IN_QUEUE') return { task_id: id };
    if (want !== 'IN_QUEUE' && (await until(target, id, want, want === 'IN_PROGRESS' ? 0 : 60_000))) return { task_id: id };
  }
  throw new Error(`provider state: could not make a task that is ${want} (for IN_PROGRESS, run the target with --clock manual)`);
}

/** While a sync request waits, keep a manual clock moving (bounded), so the model can finish. */
function clockPump(target: Target) {
  let stop = false;
  return {
    setup: async () => {
      stop = false;
      void (async () => {
        for (let i = 0; i < 600 && !stop; i++) {
          await letTimePass(target, 1_000).catch(() => undefined);
          await new Promise((r) => setTimeout(r, 5));
        }
      })();
      return undefined;
    },
    teardown: async () => {
      stop = true;
      return undefined;
    },
  };
}

/**
 * The gateway pact's provider states, set up through the target's `/_sim` admin API (a gwsim;
 * run it with --clock manual so every task status can be held). Each interaction starts from a
 * reset simulator.
 */
export function gatewayStates(target: Target): { stateHandlers: StateHandlers; beforeEach: () => Promise<unknown> } {
  const key = (credits: number, rate_limit?: object) => admin(target, 'POST', '/keys', { key: PACT_KEY, credits, ...(rate_limit ? { rate_limit } : {}) });
  return {
    beforeEach: () => admin(target, 'POST', '/reset'),
    stateHandlers: {
      'an API key with credits': async () => (await key(10_000), undefined),
      'an API key without credits': async () => (await key(0), undefined),
      'an API key at its rate limit': async () => {
        await key(10_000, { requests: 1, window_s: 3600 });
        await call(`${target.baseUrl}/api/v1/credits`, 'GET', undefined, { authorization: `Bearer ${PACT_KEY}` });
        return undefined;
      },
      'sync models finish without waiting': clockPump(target),
      'a task exists': async (params: StateParams) => taskIn(target, String((params as { status?: unknown } | undefined)?.status ?? 'COMPLETED')),
    },
  };
}
