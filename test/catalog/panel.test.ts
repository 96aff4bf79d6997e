import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { CatalogFile, ModelEntry } from '../../src/catalog/catalog-schema.js';
import { loadCatalog, parseCatalog } from '../../src/catalog/load-catalog.js';
import { baseCredits, endpointPanel } from '../../src/catalog/panel.js';
import { paths } from '../../src/paths.js';

const shipped = parse(readFileSync(paths.catalog, 'utf8')) as CatalogFile;

const modelOf = (raw: CatalogFile, id: string): ModelEntry => {
  const model = raw.models.find((m) => m.id === id);
  if (!model) throw new Error(`the shipped catalog has no model ${id}`);
  return model;
};

/** The panel of a deep clone of the shipped catalog after `mutate`. */
function panelAfter(mutate: (raw: CatalogFile) => void) {
  const raw = structuredClone(shipped);
  mutate(raw);
  return endpointPanel(parseCatalog(raw));
}

describe('the endpoint decision panel of the shipped catalog', () => {
  // The figures of the product page (shared/docs/api-in-one-facts.md).
  const panel = endpointPanel(loadCatalog());

  it('has 11 models from 10 provider sources', () => {
    expect(panel.models).toBe(11);
    expect(panel.providers).toBe(10);
  });

  it('has base prices from 4 to 25 credits', () => {
    expect(panel.credits).toEqual({ min: 4, max: 25 });
  });

  it('has webhooks on 5 of the 11 models', () => {
    expect(panel.webhooks).toEqual({ supported: 5, of: 11 });
  });

  it('places cogview-4 1st and imagen-4 6th by base credits', () => {
    expect(panel.position['cogview-4']).toBe(1);
    expect(panel.position['imagen-4']).toBe(6);
  });

  it('gives every model a position between 1 and the number of models', () => {
    expect(Object.keys(panel.position).sort()).toEqual(
      loadCatalog()
        .models.map((m) => m.id)
        .sort(),
    );
    for (const place of Object.values(panel.position)) {
      expect(place).toBeGreaterThanOrEqual(1);
      expect(place).toBeLessThanOrEqual(11);
    }
  });

  it('prices a model by its default sub-model', () => {
    expect(baseCredits(loadCatalog(), 'imagen-4')).toBe(8);
    expect(baseCredits(loadCatalog(), 'cogview-4')).toBe(4);
    expect(() => baseCredits(loadCatalog(), 'dall-e-3')).toThrow(/dall-e-3/);
  });
});

describe('the panel follows the catalog', () => {
  it('moves when cogview-4 costs 30 credits', () => {
    const panel = panelAfter((raw) => {
      modelOf(raw, 'cogview-4').sub_models[0]!.credits = 30;
    });
    expect(panel.credits.max).toBe(30);
    // The next cheapest base price is qwen-image's 5 (imagen4-fast's 4 is not imagen-4's base).
    expect(panel.credits.min).toBe(5);
    expect(panel.position['cogview-4']).toBe(11);
    expect(panel.position['imagen-4']).toBe(5);
  });

  it('counts providers, not routes', () => {
    const same = panelAfter((raw) => {
      modelOf(raw, 'flux-2').routes.push({ provider: 'Google', node: 'node47', weight: 1 });
    });
    expect(same.providers).toBe(10);
    const more = panelAfter((raw) => {
      modelOf(raw, 'flux-2').routes.push({ provider: 'Replicate', node: 'node47', weight: 1 });
    });
    expect(more.providers).toBe(11);
  });

  it('counts webhooks and models', () => {
    const panel = panelAfter((raw) => {
      modelOf(raw, 'cogview-4').webhook = true;
      raw.models = raw.models.filter((m) => m.id !== 'gpt-image');
    });
    expect(panel.models).toBe(10);
    expect(panel.webhooks).toEqual({ supported: 5, of: 10 });
    // The dearest base price is now flux-kontext's default (16), not its max sub-model (20).
    expect(panel.credits.max).toBe(16);
  });

  it('lets ties share a place and skips the places they take', () => {
    const panel = panelAfter((raw) => {
      modelOf(raw, 'qwen-image').sub_models[0]!.credits = 4;
    });
    expect(panel.position['cogview-4']).toBe(1);
    expect(panel.position['qwen-image']).toBe(1);
    expect(panel.position['seedream']).toBe(3);
    expect(panel.position['stable-diffusion-3.5']).toBe(3);
    expect(panel.position['nano-banana']).toBe(5);
  });

  it('follows the default sub-model of a model with several', () => {
    const panel = panelAfter((raw) => {
      modelOf(raw, 'imagen-4').default_sub_model = 'imagen4-ultra';
    });
    // imagen-4 now costs 12: above recraft-v3 (10) and tied with flux-2.
    expect(panel.position['imagen-4']).toBe(7);
    expect(panel.position['flux-2']).toBe(7);
  });
});
