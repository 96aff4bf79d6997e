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

/** A submit's parameters: its prompt and callback URL apart, every other parameter (defaults filled in) in `params`. */
export interface SubmitParams {
  prompt: unknown;
  callbackUrl: unknown;
  /** In the order `applyDefaults` gives them (the body's, then the defaults it lacked), without model, prompt and callback_url. */
  params: Record<string, unknown>;
}

const APART = new Set(['model', 'prompt', 'callback_url']);

/**
 * `applyDefaults` and the split of its result in one pass: one object built, not a copy with
 * defaults and then a copy without the three fields. Same keys, values and order.
 */
export function submitParams(model: ModelEntry, body: Record<string, unknown>): SubmitParams {
  const defaults = defaultsOf(model);
  const filled = (name: string, value: unknown): unknown =>
    value === undefined ? defaults.find(([n]) => n === name)?.[1] : value;
  const params: Record<string, unknown> = {};
  for (const name in body) if (!APART.has(name)) params[name] = filled(name, body[name]);
  for (const [name, value] of defaults) if (!APART.has(name) && !Object.hasOwn(body, name)) params[name] = value;
  return { prompt: filled('prompt', body.prompt), callbackUrl: filled('callback_url', body.callback_url), params };
}
