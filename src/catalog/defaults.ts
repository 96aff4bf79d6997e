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

/**
 * The request's parameters with the model's defaults filled in where the client sent none, in
 * the body's order, then the defaults it lacked; the names in `apart` left out.
 */
export function applyDefaults(
  model: ModelEntry,
  body: Record<string, unknown>,
  apart?: ReadonlySet<string>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name in body) if (!apart?.has(name)) out[name] = body[name];
  for (const [name, value] of defaultsOf(model)) if (!apart?.has(name) && out[name] === undefined) out[name] = value;
  return out;
}

/** A submit's parameters: its prompt and callback URL apart, every other parameter (defaults filled in) in `params`. */
export interface SubmitParams {
  prompt: unknown;
  callbackUrl: unknown;
  /** As `applyDefaults` gives them, without model, prompt and callback_url. */
  params: Record<string, unknown>;
}

const APART: ReadonlySet<string> = new Set(['model', 'prompt', 'callback_url']);

/** `applyDefaults` with the three fields the task keeps on its own split off in the same pass (one object built). */
export function submitParams(model: ModelEntry, body: Record<string, unknown>): SubmitParams {
  const filled = (name: string): unknown =>
    body[name] !== undefined ? body[name] : defaultsOf(model).find(([n]) => n === name)?.[1];
  return { prompt: filled('prompt'), callbackUrl: filled('callback_url'), params: applyDefaults(model, body, APART) };
}
