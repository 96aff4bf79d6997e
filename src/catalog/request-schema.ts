import type { Catalog } from './load-catalog.js';
import type { ModelEntry, ParamRule, Requirement } from './catalog-schema.js';

/** A JSON Schema (draft 2020-12) object, as emitted into the OpenAPI document. */
export type JsonSchema = { [key: string]: unknown };

export const CALLBACK_URL_MAX = 2048;

export const requestSchemaName = (model: ModelEntry): string => `GenerationRequest.${model.id}`;

function paramSchema(rule: ParamRule): JsonSchema {
  switch (rule.type) {
    case 'string':
      return {
        type: 'string',
        description: rule.description,
        ...(rule.enum ? { enum: rule.enum } : { minLength: 1 }),
        ...(rule.max_length !== undefined ? { maxLength: rule.max_length } : {}),
        ...(rule.default !== undefined ? { default: rule.default } : {}),
      };
    case 'integer':
      return {
        type: 'integer',
        description: rule.description,
        minimum: rule.minimum,
        maximum: rule.maximum,
        ...(rule.default !== undefined ? { default: rule.default } : {}),
      };
    case 'array':
      return {
        type: 'array',
        description: rule.description,
        minItems: 1,
        maxItems: rule.max_items,
        items: { type: 'string', format: 'uri', maxLength: CALLBACK_URL_MAX },
      };
  }
}

/** The request body one model accepts: its names, prompt rule and parameters, nothing else. */
export function modelRequestSchema(catalog: Catalog, model: ModelEntry): JsonSchema {
  const prompt = catalog.file.prompt;
  const properties: JsonSchema = {
    model: {
      type: 'string',
      description: `Selects ${model.name}: the model id, an alias or a sub-model id (which sets the price).`,
      enum: catalog.namesOf(model),
    },
    prompt: {
      type: 'string',
      description: 'Text description of the image.',
      minLength: prompt.min_length,
      maxLength: model.prompt?.max_length ?? prompt.max_length,
    },
  };
  for (const [name, rule] of Object.entries(model.params)) properties[name] = paramSchema(rule);
  if (model.webhook) {
    properties.callback_url = {
      type: 'string',
      format: 'uri',
      pattern: '^https?://',
      maxLength: CALLBACK_URL_MAX,
      description: 'Where to POST the finished task (signed per Standard Webhooks); loopback or an allowed host.',
    };
  }
  const always = (model.requires ?? []).filter((r) => !r.when).map((r) => r.param);
  const conditional = (model.requires ?? []).filter((r) => r.when).map((r) => requirementSchema(model, r));
  return {
    title: `${model.id} request`,
    type: 'object',
    ...(model.assumed ? { 'x-gwsim-assumed': true } : {}),
    required: ['model', 'prompt', ...always],
    additionalProperties: false,
    properties,
    ...(conditional.length > 0 ? { allOf: conditional } : {}),
  };
}

/**
 * `if` the condition holds `then` the parameter is required. A condition on a parameter's
 * default holds when the parameter is absent too, since the default then applies.
 */
function requirementSchema(model: ModelEntry, req: Requirement): JsonSchema {
  const when = Object.entries(req.when ?? {});
  const sent = when
    .filter(([name, value]) => (model.params[name] as { default?: unknown } | undefined)?.default !== value)
    .map(([name]) => name);
  return {
    if: {
      properties: Object.fromEntries(when.map(([name, value]) => [name, { const: value }])),
      ...(sent.length > 0 ? { required: sent } : {}),
    },
    // The property is repeated (as the top level defines it) so strict validators see what `required` names.
    then: { properties: { [req.param]: true }, required: [req.param] },
  };
}

/** How a requirement reads in an error: `'input_urls' is required when type is edit`. */
export function describeRequirement(req: Requirement): string {
  const when = Object.entries(req.when ?? {}).map(([name, value]) => `${name} is ${value}`);
  return `'${req.param}' is required${when.length > 0 ? ` when ${when.join(' and ')}` : ' by this model'}`;
}

/** Every model's request schema, keyed by component name, plus the `oneOf` that joins them. */
export function requestSchemas(catalog: Catalog): Record<string, JsonSchema> {
  const out: Record<string, JsonSchema> = {};
  const mapping: Record<string, string> = {};
  for (const model of catalog.models) {
    const name = requestSchemaName(model);
    for (const alias of catalog.namesOf(model)) mapping[alias] = `#/components/schemas/${name}`;
  }
  out.GenerationRequest = {
    description:
      'The body of a generation request. `model` selects one branch; each branch accepts only that ' +
      "model's parameters, with its own enums, defaults and bounds.",
    oneOf: catalog.models.map((m) => ({ $ref: `#/components/schemas/${requestSchemaName(m)}` })),
    discriminator: { propertyName: 'model', mapping },
  };
  for (const model of catalog.models) out[requestSchemaName(model)] = modelRequestSchema(catalog, model);
  return out;
}
