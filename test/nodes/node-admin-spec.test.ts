import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog/load-catalog.js';
import { ManualClock } from '../../src/clock/clock.js';
import { pactJob } from '../../src/contracts/node-states.js';
import { FaultSet } from '../../src/nodes/faults.js';
import { nodeApp } from '../../src/nodes/node-app.js';
import { NodeEmulator } from '../../src/nodes/node-emulator.js';
import { NodeService } from '../../src/nodes/node-service.js';
import { paths } from '../../src/paths.js';
import { nodeAdminValidators } from '../../src/spec/admin-validators.js';
import { loadSpec } from '../../src/spec/load-spec.js';
import { SpecValidators } from '../../src/spec/validators.js';

const METHODS = ['get', 'post', 'delete'];
const validators = nodeAdminValidators();
const OPERATIONS = Object.entries(validators.doc.paths).flatMap(([path, item]) =>
  Object.keys(item)
    .filter((m) => METHODS.includes(m))
    .map((m) => `${m.toUpperCase()} ${path}`),
);

describe("a gwsim node's /_sim against openapi/node-admin.yaml", () => {
  let server: Server;
  let url: string;
  let emulator: NodeEmulator;
  const seen = new Map<string, number[]>();
  beforeAll(async () => {
    const catalog = loadCatalog();
    const clock = new ManualClock(Date.UTC(2026, 0, 1), () => undefined);
    const faults = new FaultSet(clock);
    emulator = new NodeEmulator({ node: catalog.nodes.get('node47')!, catalog, clock, faults, seed: 1, timeScale: 1 });
    const service = new NodeService(emulator, catalog, new SpecValidators(loadSpec(paths.nodeSpec), 'node'));
    server = createServer(
      nodeApp(service, undefined, undefined, { faults, catalog, clock, reset: () => emulator.reset() }),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((r) => server.close(r)));

  /** One call, its answer checked against the spec: a declared status, a body that fits. */
  async function call(op: string, at: string, status: number, body?: unknown) {
    const [method, path] = op.split(' ') as [string, string];
    const res = await fetch(url + at, {
      method,
      ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });
    const parsed = (await res.json()) as Record<string, unknown> & { error?: { message?: string } };
    expect(res.status, `${op} ${JSON.stringify(parsed).slice(0, 300)}`).toBe(status);
    const validate = validators.response(path, method, res.status);
    expect(validate, `${op} ${res.status} is not declared`).toBeDefined();
    expect(validate!(parsed), `${op} ${res.status}: ${validators.describe(validate!)}`).toBe(true);
    seen.set(op, [...(seen.get(op) ?? []), res.status]);
    return parsed;
  }

  it('answers every operation, happy and refused, as the spec says', async () => {
    await call('POST /_sim/reset', '/_sim/reset', 200);
    expect(
      await call('POST /_sim/jobs', '/_sim/jobs', 201, { ...pactJob('n47spec_1'), state: 'running' }),
    ).toMatchObject({ id: 'n47spec_1', state: 'running' });
    const refused = await call('POST /_sim/jobs', '/_sim/jobs', 400, {
      ...pactJob('n47spec_2'),
      state: 'running',
      error: { type: 'x', detail: 'y' },
    });
    expect(refused.error?.message).toContain("'error'");
    expect(await emulator.get('n47spec_2')).toBeUndefined();
    await call('GET /_sim/clock', '/_sim/clock', 200);
    expect(await call('POST /_sim/clock/advance', '/_sim/clock/advance', 200, { ms: 1000 })).toMatchObject({
      now_ms: Date.UTC(2026, 0, 1) + 1000,
    });
    const badMs = await call('POST /_sim/clock/advance', '/_sim/clock/advance', 400, { ms: 1.5 });
    expect(badMs.error?.message).toContain("'ms'");
    const fault = await call('POST /_sim/faults', '/_sim/faults', 201, {
      target: 'node47',
      kind: 'error_rate',
      value: 0.5,
    });
    const badValue = await call('POST /_sim/faults', '/_sim/faults', 400, {
      target: 'node47',
      kind: 'error_rate',
      value: 2,
    });
    expect(badValue.error?.message).toContain("'value'");
    await call('GET /_sim/faults', '/_sim/faults', 200);
    await call('DELETE /_sim/faults/{id}', `/_sim/faults/${String(fault.id)}`, 200);
    await call('DELETE /_sim/faults/{id}', '/_sim/faults/flt_nope', 404);
    await call('DELETE /_sim/faults', '/_sim/faults', 200);

    // Operations without input have no refusal to test: each of the others was refused at least once.
    const noInput = new Set(['POST /_sim/reset', 'GET /_sim/clock', 'GET /_sim/faults', 'DELETE /_sim/faults']);
    const missed = OPERATIONS.filter((op) => {
      const statuses = seen.get(op) ?? [];
      return !statuses.some((s) => s < 300) || (!noInput.has(op) && !statuses.some((s) => s >= 400));
    });
    expect(missed).toEqual([]);
  });
  it('a wrong method on a /_sim path is 405 in the error shape, Allow listing what the spec gives the path; nothing changes', async () => {
    const faultsBefore = await (await fetch(`${url}/_sim/faults`)).text();
    for (const [method, at, allow] of [
      ['PUT', '/_sim/faults', 'GET, POST, DELETE'],
      ['GET', '/_sim/reset', 'POST'],
      ['GET', '/_sim/jobs', 'POST'],
      ['PATCH', '/_sim/faults/flt_1', 'DELETE'],
      ['GET', '/_sim/clock/advance', 'POST'],
    ] as const) {
      const res = await fetch(url + at, { method });
      expect(res.status, `${method} ${at}`).toBe(405);
      expect(res.headers.get('allow'), `${method} ${at}`).toBe(allow);
      expect(await res.json()).toEqual({
        error: {
          code: 405,
          message: `Method ${method} is not allowed here; use ${allow}`,
          type: 'invalid_request_error',
        },
      });
    }
    const unknown = await fetch(`${url}/_sim/nope`);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { type: string } }).error.type).toBe('not_found_error');
    expect(await (await fetch(`${url}/_sim/faults`)).text()).toBe(faultsBefore);
  });
});
