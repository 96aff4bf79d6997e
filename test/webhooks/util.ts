import { expect } from 'vitest';
import type { TaskView } from '../../src/gateway/task.js';
import type { DeliveryRecord } from '../../src/store/store.js';
import type { SimulatorOptions } from '../../src/simulator.js';
import type { ConfigFile } from '../../src/config/config-schema.js';
import { DEV, SEED_IMAGEN, startTestSim, type Envelope, type TestSim } from '../helpers/sim.js';

/** imagen-4 never fails here, so a finished task is COMPLETED unless a test says otherwise. */
export const NO_FAILURES: ConfigFile['models'] = { 'imagen-4': { failure_rate: 0 } };

/** A manual-clock test simulator whose imagen-4 never fails, with the given webhook settings. */
export function startWebhookSim(
  webhooks: ConfigFile['webhooks'] = {},
  extra: Partial<ConfigFile> = {},
  options: SimulatorOptions = {},
): Promise<TestSim> {
  return startTestSim({ ...options, config: { models: NO_FAILURES, ...extra, webhooks } });
}

/** Submit an imagen4 request with `callback_url`; the 200 answer's task. */
export async function submitWithCallback(
  sim: TestSim,
  callbackUrl: string,
  body: Record<string, unknown> = SEED_IMAGEN,
  key: string = DEV,
): Promise<TaskView> {
  const reply = await sim.call<Envelope<TaskView>>('POST', '/api/v1/images/generations', {
    body: { ...body, callback_url: callbackUrl },
    key,
  });
  expect(reply.status, JSON.stringify(reply.body)).toBe(200);
  return reply.body.data;
}

export async function getTask(sim: TestSim, id: string, key: string = DEV): Promise<TaskView> {
  const reply = await sim.call<Envelope<TaskView>>('GET', `/api/v1/tasks/${id}`, { key });
  expect(reply.status).toBe(200);
  return reply.body.data;
}

/** The delivery log over HTTP (every delivery, or one task's). */
export async function deliveries(sim: TestSim, taskId?: string): Promise<DeliveryRecord[]> {
  const reply = await sim.admin_<DeliveryRecord[]>(
    'GET',
    taskId === undefined ? '/webhooks' : `/webhooks?task_id=${encodeURIComponent(taskId)}`,
  );
  expect(reply.status).toBe(200);
  return reply.body;
}

/** The one delivery of a task. */
export async function deliveryOf(sim: TestSim, taskId: string): Promise<DeliveryRecord> {
  const list = await deliveries(sim, taskId);
  expect(list).toHaveLength(1);
  return list[0]!;
}

/**
 * Advance the manual clock in `stepMs` steps until the task is terminal (bounded); returns it as
 * GET /api/v1/tasks/{id} shows it. The status is read from the store between steps (cheap, and
 * it does not move the task on itself), so the task finishes inside an advance, which also fires
 * its first delivery attempt. Small steps keep the clock close to the moment the task finished.
 */
export async function finish(
  sim: TestSim,
  taskId: string,
  stepMs = 250,
  maxSteps = 400,
  key: string = DEV,
): Promise<TaskView> {
  for (let i = 0; i < maxSteps; i++) {
    const task = (await sim.admin.tasks({})).find((t) => t.id === taskId);
    expect(task, `task ${taskId}`).toBeDefined();
    if (task!.status === 'COMPLETED' || task!.status === 'FAILED') {
      await sim.clock.advance(0);
      return getTask(sim, taskId, key);
    }
    await sim.clock.advance(stepMs);
  }
  throw new Error(`task ${taskId} not finished after ${maxSteps} steps of ${stepMs} ms`);
}

/** The task id inside a delivered body. */
export const taskIdOf = (body: string): string => (JSON.parse(body) as Envelope<TaskView>).data.task_id;

/**
 * Simulators for one test file, one per distinct config, started on first use and reset
 * (POST /_sim/reset) on every later one: tests in a file run one after another, so they can share.
 */
export function simPool() {
  const pool = new Map<string, TestSim>();
  return {
    async get(
      webhooks: ConfigFile['webhooks'] = {},
      extra: Partial<ConfigFile> = {},
      options: SimulatorOptions = {},
    ): Promise<TestSim> {
      const key = JSON.stringify([webhooks, extra, options]);
      let sim = pool.get(key);
      if (!sim) {
        sim = await startWebhookSim(webhooks, extra, options);
        pool.set(key, sim);
      } else {
        expect((await sim.admin_('POST', '/reset')).status).toBe(200);
      }
      return sim;
    },
    async close(): Promise<void> {
      for (const sim of pool.values()) await sim.close();
      pool.clear();
    },
  };
}
