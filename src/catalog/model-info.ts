import type { Catalog } from './load-catalog.js';
import type { ModelEntry, ParamRule } from './catalog-schema.js';

/** A model as `GET /api/v1/models` shows it (schema `ModelInfo`). */
export interface ModelInfo {
  id: string;
  name: string;
  provider: string;
  credits: number;
  sub_models: Array<{ id: string; credits: number }>;
  aliases: string[];
  runtime: 'sync' | 'async';
  webhook: boolean;
  backend_node: string;
  prompt_max_length: number;
  parameters: Record<string, ParameterInfo>;
}

export interface ParameterInfo {
  type: ParamRule['type'];
  description: string;
  enum?: string[];
  default?: string | number;
  minimum?: number;
  maximum?: number;
  max_length?: number;
  max_items?: number;
  items?: 'uri';
}

function parameterInfo(rule: ParamRule): ParameterInfo {
  const { type, description } = rule;
  if (rule.type === 'string') {
    return { type, description, ...pick({ enum: rule.enum, default: rule.default, max_length: rule.max_length }) };
  }
  if (rule.type === 'integer') {
    return { type, description, ...pick({ minimum: rule.minimum, maximum: rule.maximum, default: rule.default }) };
  }
  return { type, description, items: rule.items, max_items: rule.max_items };
}

const pick = <T extends Record<string, unknown>>(o: T): Partial<T> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;

export function modelInfo(catalog: Catalog, model: ModelEntry): ModelInfo {
  return {
    id: model.id,
    name: model.name,
    provider: [...new Set(model.routes.map((r) => r.provider))].join(' / '),
    credits: catalog.defaultSubModel(model).credits,
    sub_models: model.sub_models.map((s) => ({ id: s.id, credits: s.credits })),
    aliases: model.aliases ?? [],
    runtime: model.runtime,
    webhook: model.webhook,
    backend_node: model.routes[0]!.node,
    prompt_max_length: model.prompt?.max_length ?? catalog.file.prompt.max_length,
    parameters: Object.fromEntries(Object.entries(model.params).map(([k, r]) => [k, parameterInfo(r)])),
  };
}
