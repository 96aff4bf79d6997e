import { afterEach, describe, expect, it } from 'vitest';
import { AdminClient, GatewayApiError, GatewayClient } from '../../src/client/index.js';
import { startSimulator, type Simulator } from '../../src/simulator.js';

let sim: Simulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

describe('the typed admin client against a real simulator', () => {
  it('arranges keys, credits, fixtures, faults and the clock, and reads them back', async () => {
    sim = await startSimulator({ port: 0, clock: 'manual', adminToken: 'tok-client-1', validateResponses: true });
    const admin = new AdminClient({ baseUrl: sim.url, token: 'tok-client-1' });
    const start = (await admin.clock()).now_ms;
    expect(await admin.advance(5000)).toEqual({ now_ms: start + 5000, mode: 'manual' });

    const key = await admin.createKey({ key: 'aio_sdk', credits: 40, rate_limit: { requests: 10, window_s: 60 } });
    expect(key).toMatchObject({ key: 'aio_sdk', credits: 40, held: 0, available: 40 });
    expect((await admin.topUp('aio_sdk', 2)).credits).toBe(42);
    expect((await admin.getKey('aio_sdk')).rate_limit).toEqual({ requests: 10, window_s: 60 });
    expect((await new GatewayClient({ baseUrl: sim.url, apiKey: 'aio_sdk' }).getCredits()).balance).toBe(42);

    const task = await admin.createTaskFixture({ key: 'aio_sdk', model: 'imagen4', status: 'COMPLETED' });
    expect(task).toMatchObject({ key: 'aio_sdk', status: 'COMPLETED', model: 'imagen-4' });
    expect((await admin.listTasks({ key: 'aio_sdk' })).map((t) => t.task_id)).toEqual([task.task_id]);
    expect((await admin.pageTasks({ limit: 1 })).total).toBe(1);
    expect((await admin.taskDetail(task.task_id)).task.task_id).toBe(task.task_id);
    expect((await admin.ledger('aio_sdk')).totals).toEqual({ balance: 42, held: 0 });
    expect(await admin.webhooks(task.task_id)).toEqual([]);

    const fault = await admin.addFault({ target: 'model:imagen4', kind: 'latency_multiplier', value: 2 });
    expect(fault).toMatchObject({ target: 'model:imagen-4', kind: 'latency_multiplier', value: 2 });
    expect(await admin.listFaults()).toEqual([fault]);
    expect(await admin.removeFault(fault.id)).toEqual({ removed: fault.id });
    expect(await admin.clearFaults()).toEqual({ removed: 0 });
    expect((await admin.catalog()).models.map((m) => m.id)).toContain('imagen-4');
    expect(await admin.metrics()).toContain('# HELP');
    expect(await admin.reset()).toEqual({ reset: true });
    expect((await admin.clock()).now_ms).toBe(start);
  });

  it('turns refusals into GatewayApiError with the status, type and the message naming the field', async () => {
    sim = await startSimulator({ port: 0, clock: 'manual', adminToken: 'tok-client-2' });
    const admin = new AdminClient({ baseUrl: sim.url, token: 'tok-client-2' });
    const bad = (await admin.createKey({ credits: -1 }).catch((e: unknown) => e)) as GatewayApiError;
    expect(bad).toBeInstanceOf(GatewayApiError);
    expect([bad.kind, bad.status, bad.code, bad.type]).toEqual(['http', 400, 400, 'invalid_request_error']);
    expect(bad.message).toContain("'credits'");
    const missing = (await admin.getKey('aio_nobody').catch((e: unknown) => e)) as GatewayApiError;
    expect([missing.status, missing.type]).toEqual([404, 'not_found_error']);
    const noToken = new AdminClient({ baseUrl: sim.url });
    const denied = (await noToken.clock().catch((e: unknown) => e)) as GatewayApiError;
    expect([denied.status, denied.type]).toEqual([401, 'authentication_error']);
    const gone = new AdminClient({ baseUrl: 'http://127.0.0.1:1' });
    expect(((await gone.clock().catch((e: unknown) => e)) as GatewayApiError).kind).toBe('network');
  });
});
