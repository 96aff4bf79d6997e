import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminRouter } from '../../src/admin/admin-routes.js';
import { paths } from '../../src/paths.js';
import { adminValidators } from '../../src/spec/admin-validators.js';
import { loadSpec, type OpenApiDoc } from '../../src/spec/load-spec.js';
import { specChecks } from '../../src/spec/response-checks.js';
import { SpecValidators } from '../../src/spec/validators.js';
import { createSimulator } from '../../src/simulator.js';
import { startReceiver, type Receiver } from '../helpers/receiver.js';
import { DEV, startTestSim, type TestSim } from '../helpers/sim.js';

const TOKEN = 'tok-spec-0123';
const METHODS = ['get', 'post', 'delete', 'put', 'patch'];
const validators = adminValidators();
/** Every operation of openapi/admin.yaml, as `POST /_sim/keys`. */
const OPERATIONS = Object.entries(validators.doc.paths).flatMap(([path, item]) =>
  Object.keys(item)
    .filter((m) => METHODS.includes(m))
    .map((m) => `${m.toUpperCase()} ${path}`),
);

interface Answer {
  status: number;
  type: string;
  body: unknown;
}

/** Statuses seen per operation, each answer checked against the spec as it arrives. */
const seen = new Map<string, number[]>();

/**
 * Call `op` (`GET /_sim/keys/{key}`) at `url` and check the answer against admin.yaml here, in
 * the test: the status is declared, a JSON body fits its schema, a text one has the declared type.
 */
async function call(
  sim: TestSim,
  op: string,
  url: string,
  init: { body?: unknown; raw?: string; type?: string; token?: string | null } = {},
): Promise<Answer> {
  const [method, path] = op.split(' ') as [string, string];
  const headers: Record<string, string> = {};
  if (init.token !== null) headers.authorization = `Bearer ${init.token ?? TOKEN}`;
  const body = init.raw ?? (init.body === undefined ? undefined : JSON.stringify(init.body));
  if (body !== undefined) headers['content-type'] = init.type ?? 'application/json';
  const abort = new AbortController();
  const res = await fetch(sim.url + url, { method, headers, signal: abort.signal, ...(body ? { body } : {}) });
  const type = res.headers.get('content-type') ?? '';
  // The event stream never ends by itself: its headers are the answer.
  const text = type.startsWith('text/event-stream') ? (abort.abort(), '') : await res.text();
  const parsed: unknown = type.startsWith('application/json') ? JSON.parse(text) : text;
  const declared = (validators.doc.paths[path]?.[method.toLowerCase()]?.responses ?? {})[String(res.status)];
  expect(declared, `${op} answered ${res.status}, which the spec does not declare`).toBeDefined();
  if (type.startsWith('application/json')) {
    const validate = validators.response(path, method, res.status);
    expect(validate, `${op} ${res.status} declares no JSON body`).toBeDefined();
    expect(validate!(parsed), `${op} ${res.status}: ${validators.describe(validate!)}`).toBe(true);
  } else {
    const content = Object.keys((declared as { content?: object }).content ?? {});
    expect(
      content.some((c) => type.startsWith(c)),
      `${op} ${res.status} sent ${type}, declared ${content.join(', ')}`,
    ).toBe(true);
  }
  seen.set(op, [...(seen.get(op) ?? []), res.status]);
  return { status: res.status, type, body: parsed };
}

describe('every admin route against openapi/admin.yaml', () => {
  let sim: TestSim;
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = await startReceiver();
    sim = await startTestSim({ adminToken: TOKEN });
  });
  afterAll(async () => {
    await sim.close();
    await receiver.close();
  });

  it('answers each operation, happy and refused, as the spec says (the server checks too: validateResponses)', async () => {
    const ok = async (op: string, url: string, status: number, body?: unknown) => {
      const answer = await call(sim, op, url, body === undefined ? {} : { body });
      expect(answer.status, `${op} ${JSON.stringify(answer.body).slice(0, 300)}`).toBe(status);
      return answer.body as Record<string, unknown> & Array<Record<string, unknown>>;
    };
    const refused = async (op: string, url: string, status: number, field: string, body?: unknown) => {
      const answer = await call(sim, op, url, body === undefined ? {} : { body });
      expect(answer.status, op).toBe(status);
      expect((answer.body as { error: { message: string } }).error.message).toContain(field);
    };

    await ok('POST /_sim/reset', '/_sim/reset', 200);
    await ok('GET /_sim/clock', '/_sim/clock', 200);
    await ok('POST /_sim/clock/advance', '/_sim/clock/advance', 200, { ms: 1000 });
    await refused('POST /_sim/clock/advance', '/_sim/clock/advance', 400, "'ms'", { ms: -1 });
    const wrongType = await call(sim, 'POST /_sim/clock/advance', '/_sim/clock/advance', {
      raw: 'ms=1',
      type: 'text/plain',
    });
    expect(wrongType.status).toBe(415);

    await ok('POST /_sim/keys', '/_sim/keys', 201, {
      key: 'aio_spec',
      credits: 100,
      rate_limit: { requests: 5, window_s: 1 },
    });
    await refused('POST /_sim/keys', '/_sim/keys', 400, "'rate_limit.window_s'", {
      credits: 1,
      rate_limit: { requests: 5, window_s: 0 },
    });
    await ok('GET /_sim/keys/{key}', '/_sim/keys/aio_spec', 200);
    await refused('GET /_sim/keys/{key}', '/_sim/keys/aio_nobody', 404, 'aio_nobody');
    await ok('POST /_sim/keys/{key}/credits', '/_sim/keys/aio_spec/credits', 200, { add: 5 });
    await refused('POST /_sim/keys/{key}/credits', '/_sim/keys/aio_spec/credits', 400, "'add'", { add: 0 });
    await refused('POST /_sim/keys/{key}/credits', '/_sim/keys/aio_nobody/credits', 404, 'aio_nobody', { add: 1 });

    const fixture = { key: DEV, model: 'imagen4', status: 'FAILED', callback_url: receiver.url };
    const failed = await ok('POST /_sim/tasks', '/_sim/tasks', 201, {
      ...fixture,
      error: { code: 'provider_error', message: 'the provider failed' },
    });
    await ok('POST /_sim/tasks', '/_sim/tasks', 201, {
      key: DEV,
      model: 'imagen-4',
      status: 'COMPLETED',
      num_images: 2,
    });
    await refused('POST /_sim/tasks', '/_sim/tasks', 400, "'status'", { ...fixture, status: 'DONE' });
    expect(await ok('GET /_sim/tasks', '/_sim/tasks?status=FAILED', 200)).toHaveLength(1);
    await refused('GET /_sim/tasks', '/_sim/tasks?status=DONE', 400, "'status'");
    await ok('GET /_sim/ledger', `/_sim/ledger?key=${DEV}`, 200);
    await refused('GET /_sim/ledger', '/_sim/ledger?key=a&key=b', 400, "'key'");

    // The finished fixture's delivery is a step due now on the manual clock.
    await ok('POST /_sim/clock/advance', '/_sim/clock/advance', 200, { ms: 0 });
    await receiver.waitFor(1);
    const deliveries = await ok('GET /_sim/webhooks', `/_sim/webhooks?task_id=${String(failed.task_id)}`, 200);
    expect(deliveries).toHaveLength(1);
    await refused('GET /_sim/webhooks', '/_sim/webhooks?task_id=a&task_id=b', 400, "'task_id'");
    await ok('POST /_sim/webhooks/{id}/redeliver', `/_sim/webhooks/${String(deliveries[0]!.id)}/redeliver`, 200);
    await refused('POST /_sim/webhooks/{id}/redeliver', '/_sim/webhooks/msg_nope/redeliver', 404, 'msg_nope');

    const fault = await ok('POST /_sim/faults', '/_sim/faults', 201, { target: 'node47', kind: 'outage' });
    await ok('POST /_sim/faults', '/_sim/faults', 201, { target: 'webhooks', kind: 'delay', value: 10 });
    await refused('POST /_sim/faults', '/_sim/faults', 400, "'kind'", { target: 'node47', kind: 'meltdown' });
    expect(await ok('GET /_sim/faults', '/_sim/faults', 200)).toHaveLength(2);
    await ok('DELETE /_sim/faults/{id}', `/_sim/faults/${String(fault.id)}`, 200);
    await refused('DELETE /_sim/faults/{id}', '/_sim/faults/flt_nope', 404, 'flt_nope');
    expect(await ok('DELETE /_sim/faults', '/_sim/faults', 200)).toEqual({ removed: 1 });

    await ok('GET /_sim/catalog', '/_sim/catalog', 200);
    await ok('GET /_sim/metrics', '/_sim/metrics', 200);
    await ok('GET /_sim/ui', '/_sim/ui', 200);
    await ok('GET /_sim/events', '/_sim/events', 200);
    const page = await ok('GET /_sim/ui/tasks', '/_sim/ui/tasks?limit=1', 200);
    expect(page).toMatchObject({ total: 2, tasks: [expect.any(Object)], next_cursor: expect.any(String) });
    await refused('GET /_sim/ui/tasks', '/_sim/ui/tasks?limit=0', 400, "'limit'");
    await refused('GET /_sim/ui/tasks', '/_sim/ui/tasks?colour=red', 400, "'colour'");
    await ok('GET /_sim/ui/tasks/{id}', `/_sim/ui/tasks/${String(failed.task_id)}`, 200);
    await refused('GET /_sim/ui/tasks/{id}', '/_sim/ui/tasks/n47nope_imagen4', 404, 'n47nope_imagen4');

    // Without the token every operation but the page is a 401, in the spec's error body.
    for (const op of OPERATIONS.filter((o) => o !== 'GET /_sim/ui')) {
      const url = op.split(' ')[1]!.replace(/\{\w+\}/g, 'x');
      expect((await call(sim, op, url, { token: null, ...(op.startsWith('POST') ? { body: {} } : {}) })).status).toBe(
        401,
      );
    }

    // Every operation of the spec was answered with a success and with a refusal (the page takes no input and no token).
    const missed = OPERATIONS.filter((op) => {
      const statuses = seen.get(op) ?? [];
      return !statuses.some((s) => s < 300) || (op !== 'GET /_sim/ui' && !statuses.some((s) => s >= 400));
    });
    expect(missed).toEqual([]);
  });

  it("names the spec's methods, and only those, in a 405's Allow", async () => {
    for (const [path, item] of Object.entries(validators.doc.paths)) {
      const methods = Object.keys(item).filter((m) => METHODS.includes(m));
      const allow = [...methods.map((m) => m.toUpperCase()), ...(methods.includes('get') ? ['HEAD'] : [])].sort();
      const res = await fetch(sim.url + path.replace(/\{\w+\}/g, 'x'), {
        method: 'PUT',
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(res.status, path).toBe(405);
      expect(res.headers.get('allow')?.split(', ').sort(), path).toEqual(allow);
    }
  });
});

describe('the admin answer check', () => {
  it('fails an answer that drifts from the spec: a missing field, an extra one, a wrong type, an undeclared status', () => {
    const key = {
      key: DEV,
      credits: 1,
      held: 0,
      available: 1,
      webhook_secret: 'whsec_x',
      rate_limit: { requests: 1, window_s: 1 },
    };
    const check = specChecks(validators)('/_sim/keys/{key}', 'get');
    expect(check(200, key)).toBeUndefined();
    const { available: _gone, ...missing } = key;
    expect(check(200, missing)).toMatch(/available/);
    expect(check(200, { ...key, owner: 'me' })).toMatch(/owner/);
    expect(check(200, { ...key, credits: '1' })).toMatch(/credits/);
    expect(check(404, { error: { code: 404, message: 'gone' } })).toMatch(/type/);
    expect(check(418, key)).toMatch(/not declared/);
  });

  it('turns a drifted answer of a real simulator into a loud 500 (the spec here wants a field the service does not send)', async () => {
    const doc: OpenApiDoc = structuredClone(loadSpec(paths.adminSpec));
    const keySchema = doc.components.schemas.Key as { required: string[]; properties: Record<string, unknown> };
    keySchema.required.push('owner');
    keySchema.properties.owner = { type: 'string' };
    const drifted = new SpecValidators(doc, 'admin.yaml', { refs: { 'gateway.yaml': loadSpec(paths.gatewaySpec) } });
    const sim = await createSimulator({ clock: 'manual' });
    const server: Server = createServer(express().use('/_sim', adminRouter(sim.admin, undefined, specChecks(drifted))));
    try {
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const res = await fetch(`${base}/_sim/keys/${DEV}`);
      expect(res.status).toBe(500);
      const body = (await res.json()) as { error: { message: string; type: string } };
      expect(body.error.type).toBe('api_error');
      expect(body.error.message).toContain('does not match the spec');
      expect(body.error.message).toContain('owner');
      // The same simulator under the real spec answers 200.
      const fine = createServer(express().use('/_sim', adminRouter(sim.admin, undefined, specChecks(validators))));
      await new Promise<void>((r) => fine.listen(0, '127.0.0.1', r));
      const ok = await fetch(`http://127.0.0.1:${(fine.address() as AddressInfo).port}/_sim/keys/${DEV}`);
      expect(ok.status).toBe(200);
      await new Promise((r) => fine.close(r));
    } finally {
      await new Promise((r) => server.close(r));
      await sim.close();
    }
  });
});
