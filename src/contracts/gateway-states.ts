import { PACT_KEY } from './participants.js';
import { admin, call, letTimePass, type StateHandlers, type StateParams, type Target } from './target.js';

/** The model every task fixture is of (the pact's examples are imagen4 tasks). */
export const FIXTURE_MODEL = 'imagen4';

/** A task of the pact key held in `status` (POST /_sim/tasks); its id goes into the interaction's path. */
export async function taskFixture(target: Target, status: string, extra: object = {}): Promise<{ task_id: string }> {
  return admin<{ task_id: string }>(target, 'POST', '/tasks', {
    key: PACT_KEY,
    model: FIXTURE_MODEL,
    status,
    ...extra,
  });
}

/**
 * A sync request waits for its model: make cogview-4 take no time (a latency fault), and on a
 * manual clock keep the clock moving (bounded) until the interaction is done.
 */
function syncModelsFast(target: Target) {
  let stop = false;
  return {
    setup: async () => {
      stop = false;
      await admin(target, 'POST', '/faults', { target: 'model:cogview-4', kind: 'latency_multiplier', value: 1e-6 });
      if ((await admin<{ mode: string }>(target, 'GET', '/clock')).mode === 'manual') {
        void (async () => {
          for (let i = 0; i < 600 && !stop; i++) {
            await letTimePass(target, 1_000).catch(() => undefined);
            await new Promise((r) => setTimeout(r, 5));
          }
        })();
      }
      return undefined;
    },
    teardown: async () => {
      stop = true;
      return undefined;
    },
  };
}

/**
 * The gateway pact's provider states, set up through the target's `/_sim` admin API by
 * construction: keys as the state names them, tasks as fixtures that stay in their status, so
 * they hold on any gwsim (real or manual clock, any time scale, memory or Redis store). Each
 * interaction starts from a reset simulator.
 */
export function gatewayStates(target: Target): { stateHandlers: StateHandlers; beforeEach: () => Promise<unknown> } {
  const key = (credits: number, rate_limit?: object) =>
    admin(target, 'POST', '/keys', { key: PACT_KEY, credits, ...(rate_limit ? { rate_limit } : {}) });
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
      'sync models finish without waiting': syncModelsFast(target),
      'a task exists': async (params: StateParams) =>
        taskFixture(target, String((params as { status?: unknown } | undefined)?.status ?? 'COMPLETED')),
    },
  };
}
