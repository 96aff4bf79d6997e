import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPrism, type Child } from '../../src/bench/processes.js';
import { paths } from '../../src/paths.js';
import { loadSpec, resolveRef } from '../../src/spec/load-spec.js';

let prism: Child;
beforeAll(async () => {
  prism = await startPrism(['mock', paths.gatewaySpec], 'the prism mock test');
}, 90_000);
afterAll(() => prism?.stop());

describe('prism mock openapi/gateway.yaml', () => {
  const spec = loadSpec();
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(item)) {
      it(`serves an example for ${method.toUpperCase()} ${path}`, async () => {
        const url = prism.url + path.replace('{task_id}', 'n47k3j9x0a2bqz_imagen4').replace('{model_id}', 'imagen-4');
        const media = op.requestBody?.content['application/json'];
        const example = media?.examples ? Object.values(media.examples)[0] : undefined;
        const body = example ? resolveRef<{ value: unknown }>(spec, example as { $ref: string }).value : undefined;
        const res = await fetch(url, {
          method: method.toUpperCase(),
          headers: { authorization: 'Bearer aio_dev_key', ...(body ? { 'content-type': 'application/json' } : {}) },
          ...(body ? { body: JSON.stringify(body) } : {}),
        });
        expect(res.status).toBe(200);
        const json = (await res.json()) as { code: number; data: unknown };
        expect(json.code).toBe(200);
        expect(json.data).toBeTruthy();
      });
    }
  }
});
