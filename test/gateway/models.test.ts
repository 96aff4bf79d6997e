import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParamRule } from '../../src/catalog/catalog-schema.js';
import { loadCatalog } from '../../src/catalog/load-catalog.js';
import type { ModelInfo } from '../../src/catalog/model-info.js';
import { startTestSim, type Envelope, type TestSim } from '../helpers/sim.js';

const catalog = loadCatalog();

let sim: TestSim;
beforeAll(async () => {
  sim = await startTestSim();
});
afterAll(() => sim?.close());

/** What the catalog says about a parameter, in the listing's field names (written out here, not reused from src). */
function expectedParameter(rule: ParamRule): Record<string, unknown> {
  const out: Record<string, unknown> = { type: rule.type, description: rule.description };
  if (rule.type === 'string') {
    if (rule.enum) out.enum = rule.enum;
    if (rule.default !== undefined) out.default = rule.default;
    if (rule.max_length !== undefined) out.max_length = rule.max_length;
  } else if (rule.type === 'integer') {
    out.minimum = rule.minimum;
    out.maximum = rule.maximum;
    if (rule.default !== undefined) out.default = rule.default;
  } else {
    out.items = rule.items;
    out.max_items = rule.max_items;
  }
  return out;
}

describe('GET /api/v1/models', () => {
  it('lists the 11 models of the catalog with their ids, credits and sub-models', async () => {
    const reply = await sim.call<Envelope<ModelInfo[]>>('GET', '/api/v1/models');
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ code: 200, message: 'success' });
    const models = reply.body.data;
    expect(models).toHaveLength(11);
    expect(models.map((m) => m.id)).toEqual(catalog.models.map((m) => m.id));
    for (const [i, m] of models.entries()) {
      const entry = catalog.models[i]!;
      const defaultSub = entry.sub_models.find((s) => s.id === (entry.default_sub_model ?? entry.sub_models[0]!.id))!;
      expect(m.credits, m.id).toBe(defaultSub.credits);
      expect(m.sub_models, m.id).toEqual(entry.sub_models.map((s) => ({ id: s.id, credits: s.credits })));
      expect(m.aliases, m.id).toEqual(entry.aliases ?? []);
      expect(m.runtime, m.id).toBe(entry.runtime);
      expect(m.webhook, m.id).toBe(entry.webhook);
      expect(m.name, m.id).toBe(entry.name);
      expect(m.backend_node, m.id).toBe(entry.routes[0]!.node);
      expect(m.prompt_max_length, m.id).toBe(entry.prompt?.max_length ?? catalog.file.prompt.max_length);
    }
  });

  it("each model's parameters are exactly the catalog's", async () => {
    const models = (await sim.call<Envelope<ModelInfo[]>>('GET', '/api/v1/models')).body.data;
    for (const m of models) {
      const entry = catalog.model(m.id)!;
      expect(Object.keys(m.parameters).sort(), m.id).toEqual(Object.keys(entry.params).sort());
      for (const [name, rule] of Object.entries(entry.params)) {
        expect(m.parameters[name], `${m.id}.${name}`).toEqual(expectedParameter(rule));
      }
    }
  });

  it('shows the documented figures: prices 4–25, 5 of 11 with webhooks, cogview-4 the cheapest and sync', async () => {
    const models = (await sim.call<Envelope<ModelInfo[]>>('GET', '/api/v1/models')).body.data;
    const prices = models.map((m) => m.credits);
    expect(Math.min(...prices)).toBe(4);
    expect(Math.max(...prices)).toBe(25);
    expect(models.filter((m) => m.webhook)).toHaveLength(5);
    const cogview = models.find((m) => m.id === 'cogview-4')!;
    expect(cogview).toMatchObject({
      credits: 4,
      runtime: 'sync',
      webhook: false,
      backend_node: 'node48',
      prompt_max_length: 1000,
    });
    const imagen = models.find((m) => m.id === 'imagen-4')!;
    expect(imagen).toMatchObject({ credits: 8, runtime: 'async', webhook: true, backend_node: 'node47' });
    expect(imagen.parameters.num_images).toMatchObject({ minimum: 1, maximum: 4, default: 1 });
  });
});

describe('GET /api/v1/models/{id}', () => {
  it('a model id returns that model, the same as in the listing', async () => {
    const list = (await sim.call<Envelope<ModelInfo[]>>('GET', '/api/v1/models')).body.data;
    for (const m of list) {
      const one = await sim.call<Envelope<ModelInfo>>('GET', `/api/v1/models/${encodeURIComponent(m.id)}`);
      expect(one.status, m.id).toBe(200);
      expect(one.body.data).toEqual(m);
    }
  });

  it('a sub-model id or an alias resolves to its model', async () => {
    for (const [name, id] of [
      ['imagen4', 'imagen-4'],
      ['imagen4-ultra', 'imagen-4'],
      ['imagen4-fast', 'imagen-4'],
      ['gpt-image-1', 'gpt-image'],
      ['sd3.5-large-turbo', 'stable-diffusion-3.5'],
      ['seedream-4', 'seedream'],
    ] as const) {
      const reply = await sim.call<Envelope<ModelInfo>>('GET', `/api/v1/models/${name}`);
      expect(reply.status, name).toBe(200);
      expect(reply.body.data.id, name).toBe(id);
    }
  });

  it('an unknown model → 404 in the envelope', async () => {
    const reply = await sim.call('GET', '/api/v1/models/dall-e-9');
    expect(reply.status).toBe(404);
    expect(reply.body).toEqual({
      error: { code: 404, message: expect.stringContaining('dall-e-9'), type: 'not_found_error' },
    });
  });
});
