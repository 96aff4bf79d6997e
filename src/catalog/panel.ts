import type { Catalog } from './load-catalog.js';

/** The figures of the product page's "Endpoint decision panel", computed from the catalog. */
export interface EndpointPanel {
  models: number;
  providers: number;
  credits: { min: number; max: number };
  webhooks: { supported: number; of: number };
  /** 1-based position of each model sorted by base credits, low to high (ties share a place). */
  position: Record<string, number>;
}

export function baseCredits(catalog: Catalog, modelId: string): number {
  const model = catalog.model(modelId);
  if (!model) throw new Error(`unknown model ${modelId}`);
  return catalog.defaultSubModel(model).credits;
}

export function endpointPanel(catalog: Catalog): EndpointPanel {
  const bases = catalog.models.map((m) => catalog.defaultSubModel(m).credits);
  const providers = new Set(catalog.models.flatMap((m) => m.routes.map((r) => r.provider)));
  const position: Record<string, number> = {};
  catalog.models.forEach((m, i) => {
    position[m.id] = 1 + bases.filter((b) => b < bases[i]!).length;
  });
  return {
    models: catalog.models.length,
    providers: providers.size,
    credits: { min: Math.min(...bases), max: Math.max(...bases) },
    webhooks: { supported: catalog.models.filter((m) => m.webhook).length, of: catalog.models.length },
    position,
  };
}
