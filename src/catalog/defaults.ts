import type { ModelEntry } from './catalog-schema.js';

/** The request's parameters with the model's defaults filled in where the client sent none. */
export function applyDefaults(model: ModelEntry, body: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...body };
  for (const [name, rule] of Object.entries(model.params)) {
    if (out[name] === undefined && 'default' in rule && rule.default !== undefined) out[name] = rule.default;
  }
  return out;
}
