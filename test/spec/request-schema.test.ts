import { describe, expect, it } from 'vitest';
import type { ModelEntry } from '../../src/catalog/catalog-schema.js';
import { loadCatalog } from '../../src/catalog/load-catalog.js';
import { loadSpec } from '../../src/spec/load-spec.js';
import { SpecValidators, describeError, errorField } from '../../src/spec/validators.js';

const catalog = loadCatalog();
const doc = loadSpec();
const validators = new SpecValidators(doc);

/** A schema object of the spec, as far as these tests read it. */
interface Schema {
  [keyword: string]: unknown;
  properties?: Record<string, Schema>;
  items?: Schema;
  oneOf?: Array<{ $ref: string }>;
  discriminator?: { propertyName: string; mapping: Record<string, string> };
}

const COGVIEW_SEED = {
  model: 'cogview-4',
  prompt: 'A futuristic robot assistant helping in a modern kitchen, clean design',
  size: '1024*1024',
  quality: 'hd',
};
const IMAGEN_SEED = {
  model: 'imagen4',
  prompt: 'A photorealistic bowl of ramen with steam rising, side lighting, food photography',
  aspect_ratio: '1:1',
};

const branchName = (modelId: string): string => `GenerationRequest.${modelId}`;

const branchSchema = (model: ModelEntry): Schema => {
  const schema = doc.components.schemas[branchName(model.id)];
  if (!schema || typeof schema !== 'object') throw new Error(`the spec has no schema ${branchName(model.id)}`);
  return schema as Schema;
};

/** The parameters a model needs on every request (an editing model's image). */
const needed = (model: ModelEntry): Record<string, unknown> =>
  Object.fromEntries(
    (model.requires ?? []).filter((r) => !r.when).map((r) => [r.param, ['https://example.com/in.png']]),
  );

const valid = (schemaName: string, body: unknown): boolean => validators.schema(schemaName)(body) === true;

/** The fields a schema's validator blames for `body`; empty if the body passes. */
function blamed(schemaName: string, body: unknown): string[] {
  const validate = validators.schema(schemaName);
  if (validate(body)) return [];
  return (validate.errors ?? []).map(errorField);
}

describe('the seed requests of the product pages', () => {
  it('the cogview-4 seed body is a GenerationRequest', () => {
    expect(valid('GenerationRequest', COGVIEW_SEED)).toBe(true);
    expect(valid(branchName('cogview-4'), COGVIEW_SEED)).toBe(true);
  });

  it('the imagen4 seed body is a GenerationRequest', () => {
    expect(valid('GenerationRequest', IMAGEN_SEED)).toBe(true);
    expect(valid(branchName('imagen-4'), IMAGEN_SEED)).toBe(true);
  });

  it('each seed body fits its own model branch only', () => {
    expect(valid(branchName('imagen-4'), COGVIEW_SEED)).toBe(false);
    expect(valid(branchName('cogview-4'), IMAGEN_SEED)).toBe(false);
  });
});

describe('requests the spec alone rejects', () => {
  const prompt = (n: number): string => 'x'.repeat(n);

  it('a cogview-4 prompt of 1000 characters passes, 1001 does not', () => {
    expect(valid('GenerationRequest', { ...COGVIEW_SEED, prompt: prompt(1000) })).toBe(true);
    expect(valid('GenerationRequest', { ...COGVIEW_SEED, prompt: prompt(1001) })).toBe(false);
    expect(blamed(branchName('cogview-4'), { ...COGVIEW_SEED, prompt: prompt(1001) })).toContain('prompt');
  });

  it("the 1000-character limit is cogview-4's own, not every model's", () => {
    expect(valid('GenerationRequest', { ...IMAGEN_SEED, prompt: prompt(1001) })).toBe(true);
  });

  it('a prompt shorter than 3 characters', () => {
    expect(valid('GenerationRequest', { ...COGVIEW_SEED, prompt: 'ab' })).toBe(false);
    expect(blamed(branchName('cogview-4'), { ...COGVIEW_SEED, prompt: 'ab' })).toContain('prompt');
  });

  const rejections: Array<{ name: string; branch: string; body: Record<string, unknown>; field: string }> = [
    {
      name: "cogview-4 size '1000*1000'",
      branch: 'cogview-4',
      body: { ...COGVIEW_SEED, size: '1000*1000' },
      field: 'size',
    },
    {
      name: 'cogview-4 quality ultra',
      branch: 'cogview-4',
      body: { ...COGVIEW_SEED, quality: 'ultra' },
      field: 'quality',
    },
    {
      name: "imagen aspect_ratio '2:1'",
      branch: 'imagen-4',
      body: { ...IMAGEN_SEED, aspect_ratio: '2:1' },
      field: 'aspect_ratio',
    },
    { name: 'imagen num_images 0', branch: 'imagen-4', body: { ...IMAGEN_SEED, num_images: 0 }, field: 'num_images' },
    {
      name: 'imagen num_images 1.5',
      branch: 'imagen-4',
      body: { ...IMAGEN_SEED, num_images: 1.5 },
      field: 'num_images',
    },
    { name: 'an unknown model', branch: 'cogview-4', body: { ...COGVIEW_SEED, model: 'dall-e-3' }, field: 'model' },
    { name: 'a missing prompt', branch: 'cogview-4', body: { model: 'cogview-4', size: '1024*1024' }, field: 'prompt' },
    { name: 'a missing model', branch: 'cogview-4', body: { prompt: COGVIEW_SEED.prompt }, field: 'model' },
    { name: 'an extra unknown field', branch: 'imagen-4', body: { ...IMAGEN_SEED, style: 'noir' }, field: 'style' },
    {
      name: "another model's parameter (negative_prompt on cogview-4)",
      branch: 'cogview-4',
      body: { ...COGVIEW_SEED, negative_prompt: 'blur' },
      field: 'negative_prompt',
    },
    {
      name: 'callback_url on a model without webhooks',
      branch: 'cogview-4',
      body: { ...COGVIEW_SEED, callback_url: 'https://example.com/hook' },
      field: 'callback_url',
    },
    {
      name: 'a callback_url that is not a URL',
      branch: 'imagen-4',
      body: { ...IMAGEN_SEED, callback_url: 'not a url' },
      field: 'callback_url',
    },
  ];

  it.each(rejections)('$name', ({ branch, body, field }) => {
    expect(valid('GenerationRequest', body)).toBe(false);
    expect(blamed(branchName(branch), body)).toContain(field);
  });

  it('an error names its field in words', () => {
    const validate = validators.schema(branchName('cogview-4'));
    expect(validate({ ...COGVIEW_SEED, size: '1000*1000' })).toBe(false);
    const reason = describeError(validate.errors![0]!);
    expect(reason).toContain("'size'");
    expect(reason).toContain('768*1344');
  });

  it('a callback_url is accepted on a model with webhooks', () => {
    expect(valid('GenerationRequest', { ...IMAGEN_SEED, callback_url: 'https://example.com/hook' })).toBe(true);
  });
});

describe('the spec agrees with the catalog', () => {
  const generation = doc.components.schemas.GenerationRequest as Schema;

  it('GenerationRequest has one branch per model, and maps every name to its branch', () => {
    const refs = (generation.oneOf ?? []).map((b) => b.$ref);
    expect(refs.sort()).toEqual(catalog.models.map((m) => `#/components/schemas/${branchName(m.id)}`).sort());
    const expected: Record<string, string> = {};
    for (const m of catalog.models)
      for (const name of catalog.namesOf(m)) expected[name] = `#/components/schemas/${branchName(m.id)}`;
    expect(generation.discriminator?.propertyName).toBe('model');
    expect(generation.discriminator?.mapping).toEqual(expected);
  });

  describe.each(catalog.models.map((m) => ({ id: m.id, model: m })))('$id', ({ model }) => {
    const schema = branchSchema(model);
    const props = schema.properties ?? {};

    it('accepts only model, prompt, its parameters and (with webhooks) callback_url', () => {
      const expected = ['model', 'prompt', ...Object.keys(model.params), ...(model.webhook ? ['callback_url'] : [])];
      expect(Object.keys(props).sort()).toEqual(expected.sort());
      expect(schema.additionalProperties).toBe(false);
      expect([...((schema.required as string[] | undefined) ?? [])].sort()).toEqual(
        ['model', 'prompt', ...Object.keys(needed(model))].sort(),
      );
    });

    it('names the model by every name the catalog gives it', () => {
      expect(props.model?.enum).toEqual(catalog.namesOf(model));
    });

    it("bounds the prompt by the model's maximum, or the endpoint's", () => {
      expect(props.prompt?.maxLength).toBe(model.prompt?.max_length ?? catalog.file.prompt.max_length);
      expect(props.prompt?.minLength).toBe(catalog.file.prompt.min_length);
    });

    it('has callback_url if and only if the model supports webhooks', () => {
      expect('callback_url' in props).toBe(model.webhook);
    });

    it('marks the model assumed if and only if the catalog does', () => {
      expect(schema['x-gwsim-assumed'] === true).toBe(model.assumed === true);
    });

    it.each(Object.entries(model.params).map(([name, rule]) => ({ name, rule })))(
      'parameter $name has the catalog rule',
      ({ name, rule }) => {
        const p = props[name];
        expect(p, `${model.id} has no property ${name}`).toBeDefined();
        expect(p!.type).toBe(rule.type);
        expect(p!.description).toBe(rule.description);
        switch (rule.type) {
          case 'string':
            expect(p!.enum).toEqual(rule.enum);
            expect(p!.default).toEqual(rule.default);
            expect(p!.maxLength).toEqual(rule.max_length);
            break;
          case 'integer':
            expect(p!.minimum).toBe(rule.minimum);
            expect(p!.maximum).toBe(rule.maximum);
            expect(p!.default).toEqual(rule.default);
            break;
          case 'array':
            expect(p!.maxItems).toBe(rule.max_items);
            expect(p!.items?.type).toBe('string');
            expect(p!.items?.format).toBe('uri');
            break;
        }
      },
    );

    it('accepts the bare minimum under every name of the model', () => {
      for (const name of catalog.namesOf(model)) {
        expect(valid('GenerationRequest', { model: name, prompt: 'A red fox', ...needed(model) }), name).toBe(true);
      }
    });

    it("accepts every parameter at its default, and refuses a value outside each parameter's rule", () => {
      const defaults: Record<string, unknown> = {};
      for (const [name, rule] of Object.entries(model.params))
        if ('default' in rule && rule.default !== undefined) defaults[name] = rule.default;
      expect(valid('GenerationRequest', { model: model.id, prompt: 'A red fox', ...needed(model), ...defaults })).toBe(
        true,
      );

      for (const [name, rule] of Object.entries(model.params)) {
        const outside =
          rule.type === 'string'
            ? rule.enum
              ? 'not-a-listed-value'
              : 'x'.repeat((rule.max_length ?? 0) + 1)
            : rule.type === 'integer'
              ? rule.maximum + 1
              : Array.from({ length: rule.max_items + 1 }, (_, i) => `https://example.com/${i}.png`);
        if (rule.type === 'string' && !rule.enum && rule.max_length === undefined) continue;
        const body = { model: model.id, prompt: 'A red fox', ...needed(model), [name]: outside };
        expect(valid('GenerationRequest', body), `${model.id} ${name}`).toBe(false);
        expect(blamed(branchName(model.id), body), `${model.id} ${name}`).toContain(name);
      }
    });
  });
});
