import type { RequestHandler } from 'express';
import { cheapestModel, type LiveModel } from './live-plan.js';
import { PACT_KEY } from './participants.js';
import { checkKey } from './preflight.js';
import { call, type StateHandlers, type StateParams, type Target } from './target.js';

export interface LiveOptions {
  /** The user's key: the pact's own key is swapped for it on every request. */
  key: string;
  /** Keys the user gave for states a deployment cannot be put in (`--state-key`). */
  stateKeys: ReadonlyMap<string, string>;
  models: LiveModel[];
  /** The most this run may spend, and the key's available credits when it started. */
  budget: number;
  startAvailable: number;
}

type TaskBody = { data?: { task_id: string; status: string; error?: unknown }; error?: { message?: string } };
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TASK_WAIT_MS = 120_000;

/**
 * Provider states realised through the public API with the user's key, for a deployment without
 * `/_sim`: credits are read, tasks are real (the cheapest model that fits) and every spend is
 * checked against the budget first. Only states the plan marked verifiable reach these handlers.
 */
export function liveStates(
  target: Target,
  o: LiveOptions,
): { stateHandlers: StateHandlers; requestFilter: RequestHandler } {
  let current = o.key;
  const auth = () => ({ authorization: `Bearer ${o.key}` });
  const available = async () => (await checkKey(target.baseUrl, o.key)).available;

  /** Submit the cheapest fitting model, after checking the budget against what was really spent. */
  const submit = async (asyncOnly: boolean): Promise<{ task_id: string; status: string }> => {
    const pick = cheapestModel(o.models, asyncOnly);
    if (!pick) throw new Error('live state: the target lists no model to make a task of');
    const spent = o.startAvailable - (await available());
    if (spent + pick.sub.credits > o.budget)
      throw new Error(
        `live state: a ${pick.sub.id} task (${pick.sub.credits} credits) would take the run past its budget of ${o.budget} (spent ${spent})`,
      );
    const r = await call<TaskBody>(
      `${target.baseUrl}/api/v1/images/generations`,
      'POST',
      { model: pick.sub.id, prompt: 'A small red cube on a white table' },
      auth(),
    );
    if (r.status !== 200 || !r.body.data)
      throw new Error(
        `live state: submitting a ${pick.sub.id} task answered ${r.status} ${r.body.error?.message ?? ''}`,
      );
    return r.body.data;
  };

  /** Poll the task until `done` says so (bounded); the last status seen. */
  const poll = async (
    id: string,
    first: string,
    intervalMs: number,
    done: (status: string) => boolean,
  ): Promise<string> => {
    let status = first;
    for (let waited = 0; !done(status) && waited < TASK_WAIT_MS; waited += intervalMs) {
      await pause(intervalMs);
      const r = await call<TaskBody>(
        `${target.baseUrl}/api/v1/tasks/${encodeURIComponent(id)}`,
        'GET',
        undefined,
        auth(),
      );
      if (r.status !== 200 || !r.body.data) throw new Error(`live state: GET /api/v1/tasks/${id} answered ${r.status}`);
      status = r.body.data.status;
    }
    return status;
  };

  const terminal = (s: string) => s === 'COMPLETED' || s === 'FAILED';
  const taskIn = async (want: string): Promise<{ task_id: string }> => {
    const task = await submit(want === 'IN_PROGRESS');
    const last = await poll(
      task.task_id,
      task.status,
      want === 'IN_PROGRESS' ? 100 : 500,
      (s) => s === want || terminal(s),
    );
    if (last !== want) throw new Error(`live state: the ${want} task ${task.task_id} ended ${last} instead`);
    return { task_id: task.task_id };
  };

  const handlers: StateHandlers = {
    'an API key with credits': async () => {
      if ((await available()) <= 0) throw new Error('live state: the key has no credits available');
      return undefined;
    },
    'sync models finish without waiting': async () => undefined,
    'the node is up': async () => undefined,
    'a task exists': async (params: StateParams) =>
      taskIn(String((params as { status?: unknown } | undefined)?.status ?? 'COMPLETED')),
  };
  // A state the user met with a key of their own: that key is used for the interaction, then ours again.
  for (const [name, key] of o.stateKeys) {
    handlers[name] = {
      setup: async () => ((current = key), undefined),
      teardown: async () => ((current = o.key), undefined),
    };
  }
  const requestFilter: RequestHandler = (req, _res, next) => {
    if (req.headers.authorization === `Bearer ${PACT_KEY}`) req.headers.authorization = `Bearer ${current}`;
    next();
  };
  return { stateHandlers: handlers, requestFilter };
}
