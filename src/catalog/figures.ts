import type { Catalog } from './load-catalog.js';

/** What a model costs and how it behaves, as `gwsim diff` holds a recording against it. */
export interface ModelFigures {
  id: string;
  /** Every name that selects the model (id, aliases, sub-models). */
  names: string[];
  latency_ms: { p5: number; p95: number };
  failure_rate: number;
  /** Credits per sub-model id. */
  credits: Record<string, number>;
  default_sub_model: string;
  runtime: 'sync' | 'async';
}

/** The catalog's behaviour figures (config overrides applied), served at `GET /_sim/catalog`. */
export function modelFigures(catalog: Catalog): ModelFigures[] {
  return catalog.models.map((m) => ({
    id: m.id,
    names: catalog.namesOf(m),
    latency_ms: { p5: m.latency_ms.p5, p95: m.latency_ms.p95 },
    failure_rate: m.failure.rate,
    credits: Object.fromEntries(m.sub_models.map((s) => [s.id, s.credits])),
    default_sub_model: catalog.defaultSubModel(m).id,
    runtime: m.runtime,
  }));
}
