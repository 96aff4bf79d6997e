import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { CatalogFile, ModelEntry } from '../../src/catalog/catalog-schema.js';
import { CatalogError, loadCatalog, parseCatalog } from '../../src/catalog/load-catalog.js';
import { paths } from '../../src/paths.js';

/** The shipped catalog as plain data; every variant below is a deep clone of it. */
const shipped = parse(readFileSync(paths.catalog, 'utf8')) as CatalogFile;

const modelOf = (raw: CatalogFile, id: string): ModelEntry => {
  const model = raw.models.find((m) => m.id === id);
  if (!model) throw new Error(`the shipped catalog has no model ${id}`);
  return model;
};

/** Clone the shipped catalog, break one thing, and return what the loader threw. */
function rejection(mutate: (raw: CatalogFile) => void): CatalogError {
  const raw = structuredClone(shipped);
  mutate(raw);
  let thrown: unknown;
  try {
    parseCatalog(raw);
  } catch (err) {
    thrown = err;
  }
  if (thrown === undefined) throw new Error('the broken catalog was accepted');
  expect(thrown).toBeInstanceOf(CatalogError);
  return thrown as CatalogError;
}

/** The error has a problem for exactly this model and field, and its message names both on one line. */
function expectProblem(err: CatalogError, model: string, field: string): void {
  expect(err.problems).toContainEqual(expect.objectContaining({ model, field }));
  const lines = err.message.split('\n');
  expect(
    lines.some((line) => line.includes(`"${model}"`) && line.includes(field)),
    `no line of the message names model "${model}" and field ${field}:\n${err.message}`,
  ).toBe(true);
}

describe('the shipped catalog', () => {
  it('loads, with the 11 models of the image endpoint', () => {
    const catalog = loadCatalog();
    expect(catalog.models).toHaveLength(11);
    expect(new Set(catalog.models.map((m) => m.id)).size).toBe(11);
    expect(catalog.model('cogview-4')?.name).toBeTruthy();
    expect(catalog.model('imagen-4')?.name).toBeTruthy();
  });

  it('resolves the documented names of imagen-4 and cogview-4 to their prices', () => {
    const catalog = loadCatalog();
    const credits = (name: string) => {
      const ref = catalog.resolve(name);
      return ref && { model: ref.model.id, subModel: ref.subModel.id, credits: ref.subModel.credits };
    };
    expect(credits('imagen4-fast')).toEqual({ model: 'imagen-4', subModel: 'imagen4-fast', credits: 4 });
    expect(credits('imagen4')).toEqual({ model: 'imagen-4', subModel: 'imagen4', credits: 8 });
    expect(credits('imagen4-ultra')).toEqual({ model: 'imagen-4', subModel: 'imagen4-ultra', credits: 12 });
    // The page's model id stands for the default sub-model.
    expect(credits('imagen-4')).toEqual({ model: 'imagen-4', subModel: 'imagen4', credits: 8 });
    expect(credits('cogview-4')).toEqual({ model: 'cogview-4', subModel: 'cogview-4', credits: 4 });
    expect(catalog.resolve('dall-e-3')).toBeUndefined();
  });

  it('routes the documented models to their documented nodes', () => {
    const catalog = loadCatalog();
    expect(catalog.model('cogview-4')?.routes[0]?.node).toBe('node48');
    expect(catalog.model('imagen-4')?.routes[0]?.node).toBe('node47');
    expect(catalog.model('flux-2')?.routes[0]?.node).toBe('node41');
  });

  it('loads from a deep clone of its parsed YAML (so every rejection below is the mutation)', () => {
    expect(parseCatalog(structuredClone(shipped)).models).toHaveLength(11);
  });
});

describe('a broken catalog is rejected, naming the model and the field', () => {
  const cases: Array<{ name: string; model: string; field: string; mutate: (raw: CatalogFile) => void }> = [
    {
      name: 'a sub-model without a price',
      model: 'imagen-4',
      field: 'sub_models[1].credits',
      mutate: (raw) => {
        Reflect.deleteProperty(modelOf(raw, 'imagen-4').sub_models[1]!, 'credits');
      },
    },
    {
      name: 'a string default outside its enum',
      model: 'cogview-4',
      field: 'params.size.default',
      mutate: (raw) => {
        const size = modelOf(raw, 'cogview-4').params.size!;
        if (size.type !== 'string') throw new Error('cogview-4 size is not a string parameter');
        size.default = '999*999';
      },
    },
    {
      name: 'an integer default outside its bounds',
      model: 'imagen-4',
      field: 'params.num_images.default',
      mutate: (raw) => {
        const n = modelOf(raw, 'imagen-4').params.num_images!;
        if (n.type !== 'integer') throw new Error('imagen-4 num_images is not an integer parameter');
        n.default = n.maximum + 1;
      },
    },
    {
      name: 'a route to an unknown node',
      model: 'cogview-4',
      field: 'routes[1].node',
      mutate: (raw) => {
        modelOf(raw, 'cogview-4').routes[1]!.node = 'node99';
      },
    },
    {
      name: "an alias equal to another model's sub-model id",
      model: 'gpt-image',
      field: 'aliases[1]',
      mutate: (raw) => {
        modelOf(raw, 'gpt-image').aliases!.push('imagen4');
      },
    },
    {
      name: "an alias equal to another model's id",
      model: 'flux-kontext',
      field: 'aliases[0]',
      mutate: (raw) => {
        modelOf(raw, 'flux-kontext').aliases = ['flux-2'];
      },
    },
    {
      name: 'a negative latency',
      model: 'recraft-v3',
      field: 'latency_ms.p5',
      mutate: (raw) => {
        modelOf(raw, 'recraft-v3').latency_ms.p5 = -1;
      },
    },
    {
      name: 'a latency whose p5 is above its p95',
      model: 'flux-2',
      field: 'latency_ms.p5',
      mutate: (raw) => {
        const latency = modelOf(raw, 'flux-2').latency_ms;
        latency.p5 = latency.p95 + 1;
      },
    },
    {
      name: 'an unknown field on a model',
      model: 'nano-banana',
      field: 'colour',
      mutate: (raw) => {
        (modelOf(raw, 'nano-banana') as Record<string, unknown>).colour = 'yellow';
      },
    },
    {
      name: 'a default_sub_model that is not one of its sub_models',
      model: 'ideogram-v3',
      field: 'default_sub_model',
      mutate: (raw) => {
        modelOf(raw, 'ideogram-v3').default_sub_model = 'ideogram-v2';
      },
    },
    {
      name: 'several sub_models and no default_sub_model',
      model: 'flux-kontext',
      field: 'default_sub_model',
      mutate: (raw) => {
        delete modelOf(raw, 'flux-kontext').default_sub_model;
      },
    },
    {
      name: 'a prompt maximum above the endpoint maximum',
      model: 'gpt-image',
      field: 'prompt.max_length',
      mutate: (raw) => {
        modelOf(raw, 'gpt-image').prompt = { max_length: raw.prompt.max_length + 1 };
      },
    },
    {
      name: 'an aspect ratio that does not parse',
      model: 'imagen-4',
      field: 'params.aspect_ratio.enum',
      mutate: (raw) => {
        const ratio = modelOf(raw, 'imagen-4').params.aspect_ratio!;
        if (ratio.type !== 'string') throw new Error('imagen-4 aspect_ratio is not a string parameter');
        ratio.enum = [...(ratio.enum ?? []), 'wide'];
      },
    },
  ];

  it.each(cases)('$name: model $model, field $field', ({ model, field, mutate }) => {
    const err = rejection(mutate);
    expectProblem(err, model, field);
    // One model was broken; no other model is blamed.
    expect(err.problems.map((p) => p.model)).toEqual(err.problems.map(() => model));
  });

  it('a duplicate on an earlier model is still reported, naming both models', () => {
    // seedream comes before imagen-4, so its alias claims the name first.
    const err = rejection((raw) => {
      modelOf(raw, 'seedream').aliases!.push('imagen4-ultra');
    });
    const problem = err.problems.find((p) => p.message.includes('imagen4-ultra'));
    expect(problem, err.message).toBeDefined();
    const named = `${problem!.model} ${problem!.message}`;
    expect(named).toContain('seedream');
    expect(named).toContain('imagen-4');
  });

  it('a top-level field of its own is blamed on the catalog', () => {
    const err = rejection((raw) => {
      (raw as unknown as Record<string, unknown>).queue_ms = { p5: 700, p95: 600 };
    });
    expectProblem(err, 'catalog', 'queue_ms');
  });

  it('reports every broken model at once, not only the first', () => {
    const err = rejection((raw) => {
      modelOf(raw, 'cogview-4').routes[0]!.node = 'node99';
      modelOf(raw, 'gpt-image').default_sub_model = 'gpt-image-2';
    });
    expectProblem(err, 'cogview-4', 'routes[0].node');
    expectProblem(err, 'gpt-image', 'default_sub_model');
  });

  it('names a model by its position when its id is missing', () => {
    const err = rejection((raw) => {
      Reflect.deleteProperty(raw.models[3]!, 'id');
    });
    expectProblem(err, '#3', 'id');
  });
});

describe('loadCatalog on a bad file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gwsim-catalog-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('an unreadable path gives a CatalogError naming the file', () => {
    const missing = join(dir, 'no-such-dir', 'models.yaml');
    let thrown: unknown;
    try {
      loadCatalog(missing);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(CatalogError);
    const err = thrown as CatalogError;
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]).toMatchObject({ model: 'catalog' });
    expect(err.message).toContain(missing);
  });

  it('a directory instead of a file gives a CatalogError', () => {
    expect(() => loadCatalog(dir)).toThrow(CatalogError);
  });

  it('malformed YAML gives a CatalogError', () => {
    const file = join(dir, 'broken.yaml');
    writeFileSync(file, 'models: [ { id: cogview-4\n');
    expect(() => loadCatalog(file)).toThrow(CatalogError);
  });

  it('a YAML file that is not a catalog gives a CatalogError', () => {
    const file = join(dir, 'empty.yaml');
    writeFileSync(file, '# nothing here\n');
    expect(() => loadCatalog(file)).toThrow(CatalogError);
  });

  it('a valid copy of the catalog elsewhere loads', () => {
    const file = join(dir, 'copy.yaml');
    writeFileSync(file, readFileSync(paths.catalog, 'utf8'));
    expect(loadCatalog(file).models).toHaveLength(11);
  });
});
