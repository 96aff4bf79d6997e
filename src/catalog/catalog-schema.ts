import { z } from 'zod';

/** A latency distribution given by two quantiles; sampled as a log-normal through them. */
export const Quantiles = z.strictObject({
  p5: z.number().nonnegative(),
  p95: z.number().nonnegative(),
});

const described = { description: z.string().min(1) };

const StringParam = z.strictObject({
  type: z.literal('string'),
  enum: z.array(z.string().min(1)).min(1).optional(),
  default: z.string().optional(),
  max_length: z.number().int().positive().optional(),
  ...described,
});

const IntegerParam = z.strictObject({
  type: z.literal('integer'),
  minimum: z.number().int(),
  maximum: z.number().int(),
  default: z.number().int().optional(),
  ...described,
});

const UrlListParam = z.strictObject({
  type: z.literal('array'),
  items: z.literal('uri'),
  max_items: z.number().int().positive(),
  ...described,
});

export const ParamRule = z.discriminatedUnion('type', [StringParam, IntegerParam, UrlListParam]);

/** How output width and height follow from the request. */
export const OutputRule = z.union([
  z.strictObject({ from: z.literal('size') }),
  z.strictObject({
    from: z.literal('aspect_ratio'),
    base: z.number().int().positive().optional(),
    resolution: z.record(z.string(), z.number().int().positive()).optional(),
  }),
]);

export const Route = z.strictObject({
  provider: z.string().min(1),
  node: z.string().min(1),
  weight: z.number().positive(),
  assumed: z.boolean().optional(),
});

export const SubModel = z.strictObject({
  id: z.string().min(1),
  credits: z.number().int().positive(),
});

/**
 * A cross-field rule: `param` must be sent when every `when` parameter has its value (a mode
 * such as seedream's `type: edit`), or always when there is no `when` (a model that only edits).
 */
export const Requirement = z.strictObject({
  param: z.string().min(1),
  when: z.record(z.string(), z.string()).optional(),
});

export const ModelEntry = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9.-]*$/),
  name: z.string().min(1),
  tag: z.string().regex(/^[a-z0-9]+$/),
  assumed: z.boolean().optional(),
  runtime: z.enum(['sync', 'async']),
  webhook: z.boolean(),
  aliases: z.array(z.string().min(1)).optional(),
  sub_models: z.array(SubModel).min(1),
  default_sub_model: z.string().optional(),
  routes: z.array(Route).min(1),
  prompt: z.strictObject({ max_length: z.number().int().positive() }).optional(),
  params: z.record(z.string(), ParamRule),
  requires: z.array(Requirement).optional(),
  output: OutputRule,
  latency_ms: Quantiles,
  failure: z.strictObject({ rate: z.number().min(0).max(1) }),
});

export const NodeEntry = z.strictObject({
  id: z.string().regex(/^node[0-9]+$/),
  prefix: z.string().regex(/^n[0-9]+$/),
  capacity: z.number().int().positive(),
  upstream: z.url(),
  assumed: z.boolean().optional(),
});

export const ErrorEntry = z.strictObject({
  code: z.string().regex(/^[a-z_]+$/),
  message: z.string().min(1),
  weight: z.number().positive(),
});

export const CatalogFile = z.strictObject({
  nodes: z.array(NodeEntry).min(1),
  errors: z.array(ErrorEntry).min(1),
  prompt: z.strictObject({ min_length: z.number().int().positive(), max_length: z.number().int().positive() }),
  /** The endpoint's limit on URL-list parameters (the docs: up to 8 `input_urls`). */
  input_urls: z.strictObject({ max_items: z.number().int().positive() }),
  models: z.array(ModelEntry).min(1),
});

export type CatalogFile = z.infer<typeof CatalogFile>;
export type ModelEntry = z.infer<typeof ModelEntry>;
export type NodeEntry = z.infer<typeof NodeEntry>;
export type ParamRule = z.infer<typeof ParamRule>;
export type OutputRule = z.infer<typeof OutputRule>;
export type Quantiles = z.infer<typeof Quantiles>;
export type Requirement = z.infer<typeof Requirement>;
export type RouteEntry = z.infer<typeof Route>;
export type SubModel = z.infer<typeof SubModel>;
