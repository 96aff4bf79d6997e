import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { CatalogFile, ModelEntry } from '../../src/catalog/catalog-schema.js';
import { CatalogError, loadCatalog, parseCatalog } from '../../src/catalog/load-catalog.js';
import { paths } from '../../src/paths.js';
import { loadSpec } from '../../src/spec/load-spec.js';

const shipped = parse(readFileSync(paths.catalog, 'utf8')) as CatalogFile;
const model = (raw: CatalogFile, id: string): ModelEntry => raw.models.find((m) => m.id === id)!;

/** The problems the loader names for a clone of the shipped catalog with one thing changed. */
function problems(mutate: (raw: CatalogFile) => void): Array<{ model: string; field: string; message: string }> {
  const raw = structuredClone(shipped);
  mutate(raw);
  try {
    parseCatalog(raw);
  } catch (err) {
    expect(err).toBeInstanceOf(CatalogError);
    return (err as CatalogError).problems;
  }
  throw new Error('the changed catalog was accepted');
}

describe('cross-field rules of the catalog', () => {
  const catalog = loadCatalog();

  it('no model takes more input_urls than the documented 8', () => {
    expect(catalog.file.input_urls.max_items).toBe(8);
    for (const m of catalog.models) {
      for (const rule of Object.values(m.params))
        if (rule.type === 'array') expect(rule.max_items, m.id).toBeLessThanOrEqual(8);
    }
  });

  it("seedream's edit mode needs input_urls; flux-kontext, an editing model, always does", () => {
    expect(catalog.model('seedream')!.requires).toEqual([{ param: 'input_urls', when: { type: 'edit' } }]);
    expect(catalog.model('flux-kontext')!.requires).toEqual([{ param: 'input_urls' }]);
  });

  it('refuses a URL list longer than the endpoint allows, naming the model and field', () => {
    const found = problems((raw) => {
      const p = model(raw, 'gpt-image').params.input_urls!;
      if (p.type === 'array') p.max_items = 10;
    });
    expect(found).toContainEqual(expect.objectContaining({ model: 'gpt-image', field: 'params.input_urls.max_items' }));
  });

  it.each([
    ['an unknown parameter', { param: 'mask_url' }, 'requires[0].param'],
    ['a condition on an unknown parameter', { param: 'input_urls', when: { mode: 'edit' } }, 'requires[0].when.mode'],
    ['a condition value outside the enum', { param: 'input_urls', when: { type: 'inpaint' } }, 'requires[0].when.type'],
    ['a parameter requiring itself', { param: 'type', when: { type: 'edit' } }, 'requires[0].when.type'],
  ])('refuses a requirement with %s', (_what, requirement, field) => {
    const found = problems((raw) => void (model(raw, 'seedream').requires = [requirement]));
    expect(found).toContainEqual(expect.objectContaining({ model: 'seedream', field }));
  });

  it('refuses a requirement that is not data of the right shape (zod)', () => {
    const found = problems(
      (raw) => void (model(raw, 'seedream').requires = [{ param: 'input_urls', when: { type: 3 } } as never]),
    );
    expect(found).toContainEqual(expect.objectContaining({ model: 'seedream', field: 'requires[0].when.type' }));
  });
});

describe("node capacity: Little's law at the design load", () => {
  // 10 requests a second of every model a node serves, each held for its p95 latency, plus 25%.
  const RATE = 10;
  const HEADROOM = 1.25;
  const catalog = loadCatalog();

  it.each([...catalog.nodes.keys()])('%s has room for its models at 10 requests a second each', (id) => {
    const served = catalog.models.filter((m) => m.routes.some((r) => r.node === id));
    const inFlight = served.reduce((sum, m) => sum + RATE * (m.latency_ms.p95 / 1000), 0);
    expect(catalog.nodes.get(id)!.capacity).toBeGreaterThanOrEqual(Math.ceil(inFlight * HEADROOM));
  });
});

describe("task error codes: one list, the spec's TaskErrorCode", () => {
  const codes = (loadSpec().components.schemas.TaskErrorCode as { enum: string[] }).enum;

  it("lists every failure the catalog draws, and the routing's own (no_route_available included)", () => {
    for (const e of loadCatalog().file.errors) expect(codes).toContain(e.code);
    for (const code of ['provider_unavailable', 'no_route_available', 'node_lost']) expect(codes).toContain(code);
  });

  it('the README names every one of them', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    for (const code of codes) expect(readme, code).toContain(`\`${code}\``);
  });
});
