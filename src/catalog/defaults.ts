import type { ModelEntry } from './catalog-schema.js';

/** Each model's defaults as [name, value] pairs in its params' order, worked out on its first request. */
const DEFAULTS = new WeakMap<ModelEntry, ReadonlyArray<readonly [string, unknown]>>();

function defaultsOf(model: ModelEntry): ReadonlyArray<readonly [string, unknown]> {
  let pairs = DEFAULTS.get(model);
  if (!pairs) {
    pairs = Object.entries(model.params).flatMap(([name, rule]) =>
      'default' in rule && rule.default !== undefined ? [[name, rule.default] as const] : [],
    );
    DEFAULTS.set(model, pairs);
  }
  return pairs;
}

/** The request's parameters with the model's defaults filled in where the client sent none. */
export function applyDefaults(model: ModelEntry, body: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...body };
  for (const [name, value] of defaultsOf(model)) if (out[name] === undefined) out[name] = value;
  return out;
}
