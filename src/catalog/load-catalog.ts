import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseYaml } from '../lazy-yaml.js';
import type { ZodError } from 'zod';
import { paths } from '../paths.js';
import { StartupError } from '../startup-error.js';
import {
  CatalogFile,
  type ModelEntry,
  type NodeEntry,
  type ParamRule,
  type Requirement,
  type SubModel,
} from './catalog-schema.js';
import { checkOutputRule } from './dimensions.js';

export interface CatalogProblem {
  /** The model's id, or `catalog` for top-level fields. */
  model: string;
  /** Path of the offending field inside the model, e.g. `sub_models[0].credits`. */
  field: string;
  message: string;
}

export class CatalogError extends StartupError {
  override readonly name = 'CatalogError';
  constructor(readonly problems: CatalogProblem[]) {
    super(
      `invalid model catalog:\n${problems.map((p) => `  model "${p.model}", field ${p.field}: ${p.message}`).join('\n')}`,
    );
  }
}

/** A name a request may put in `model`, resolved to its model and sub-model. */
export interface ModelRef {
  model: ModelEntry;
  subModel: SubModel;
}

export interface Catalog {
  readonly file: CatalogFile;
  readonly models: readonly ModelEntry[];
  readonly nodes: ReadonlyMap<string, NodeEntry>;
  /** Resolve a model id, alias or sub-model id. */
  resolve(name: string): ModelRef | undefined;
  model(id: string): ModelEntry | undefined;
  /** The sub-model a bare model id or alias stands for. */
  defaultSubModel(model: ModelEntry): SubModel;
  /** Every name that selects this model, id first. */
  namesOf(model: ModelEntry): string[];
}

const fieldPath = (path: ReadonlyArray<PropertyKey>): string =>
  path.reduce<string>(
    (acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${String(part)}` : String(part)),
    '',
  );

function zodProblems(raw: unknown, error: ZodError): CatalogProblem[] {
  const models = (raw as { models?: Array<{ id?: unknown }> } | null)?.models;
  // An unknown key is reported on its parent object; name the key itself as the field.
  const located = error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ path: [...issue.path, key], message: `unknown field "${key}"` }))
      : [{ path: issue.path, message: issue.message }],
  );
  return located.map(({ path, message }) => {
    const [head, index, ...rest] = path;
    if (head === 'models' && typeof index === 'number') {
      const id = models?.[index]?.id;
      return { model: typeof id === 'string' ? id : `#${index}`, field: fieldPath(rest) || '(entry)', message };
    }
    return { model: 'catalog', field: fieldPath(path) || '(root)', message };
  });
}

/** A parameter rule's own problem, as [field inside the rule ('' for the rule itself), message]. */
function checkParam(name: string, rule: ParamRule): [string, string] | undefined {
  if (rule.type === 'string' && rule.default !== undefined) {
    if (rule.enum && !rule.enum.includes(rule.default))
      return ['default', `default "${rule.default}" is not one of its enum`];
  }
  if (rule.type === 'integer') {
    if (rule.minimum > rule.maximum) return ['minimum', `minimum ${rule.minimum} is above maximum ${rule.maximum}`];
    if (rule.default !== undefined && (rule.default < rule.minimum || rule.default > rule.maximum)) {
      return ['default', `default ${rule.default} is outside ${rule.minimum}..${rule.maximum}`];
    }
  }
  return name === 'model' || name === 'prompt' || name === 'callback_url'
    ? ['', 'is reserved for the gateway']
    : undefined;
}

/** A requirement's problems: it must name a parameter of the model, and its condition values the model's enums allow. */
function checkRequirement(model: ModelEntry, req: Requirement): Array<[string, string]> {
  const problems: Array<[string, string]> = [];
  if (!model.params[req.param]) problems.push(['param', `"${req.param}" is not a parameter of the model`]);
  for (const [name, value] of Object.entries(req.when ?? {})) {
    const rule = model.params[name];
    if (name === req.param) problems.push([`when.${name}`, 'a parameter cannot require itself']);
    else if (!rule || rule.type !== 'string' || !rule.enum)
      problems.push([`when.${name}`, `"${name}" is not an enum parameter of the model`]);
    else if (!rule.enum.includes(value)) problems.push([`when.${name}`, `"${value}" is not one of its enum`]);
  }
  return problems;
}

/** Cross-field rules zod cannot express: references, uniqueness, defaults inside their rules. */
function semanticProblems(file: CatalogFile): CatalogProblem[] {
  const problems: CatalogProblem[] = [];
  const add = (model: string, field: string, message: string) => problems.push({ model, field, message });
  const nodeIds = new Set<string>();
  file.nodes.forEach((node, i) => {
    if (nodeIds.has(node.id)) add('catalog', `nodes[${i}].id`, `duplicate node "${node.id}"`);
    nodeIds.add(node.id);
  });
  const owner = new Map<string, string>();
  const claim = (model: ModelEntry, field: string, name: string) => {
    const prior = owner.get(name);
    if (prior !== undefined && !(prior === model.id && name === model.id)) {
      add(model.id, field, `duplicate alias "${name}" (already names model "${prior}")`);
    }
    owner.set(name, model.id);
  };
  for (const model of file.models) {
    if (owner.has(model.id)) add(model.id, 'id', `duplicate model id "${model.id}"`);
    owner.set(model.id, model.id);
  }
  for (const model of file.models) {
    model.aliases?.forEach((alias, i) => claim(model, `aliases[${i}]`, alias));
    model.sub_models.forEach((sub, i) => claim(model, `sub_models[${i}].id`, sub.id));
    if (model.default_sub_model !== undefined && !model.sub_models.some((s) => s.id === model.default_sub_model)) {
      add(model.id, 'default_sub_model', `"${model.default_sub_model}" is not one of its sub_models`);
    }
    if (model.default_sub_model === undefined && model.sub_models.length > 1) {
      add(model.id, 'default_sub_model', 'is required when a model has several sub_models');
    }
    model.routes.forEach((route, i) => {
      if (!nodeIds.has(route.node)) add(model.id, `routes[${i}].node`, `unknown node "${route.node}"`);
    });
    for (const [name, rule] of Object.entries(model.params)) {
      const problem = checkParam(name, rule);
      if (problem) add(model.id, problem[0] ? `params.${name}.${problem[0]}` : `params.${name}`, problem[1]);
    }
    for (const [field, message] of checkOutputRule(model)) add(model.id, field, message);
    for (const key of ['latency_ms'] as const) {
      const q = model[key];
      if (q && q.p5 > q.p95) add(model.id, `${key}.p5`, `p5 ${q.p5} is above p95 ${q.p95}`);
    }
    for (const [name, rule] of Object.entries(model.params)) {
      if (rule.type === 'array' && rule.max_items > file.input_urls.max_items) {
        add(
          model.id,
          `params.${name}.max_items`,
          `${rule.max_items} exceeds the endpoint's maximum of ${file.input_urls.max_items}`,
        );
      }
    }
    model.requires?.forEach((req, i) => {
      for (const [field, message] of checkRequirement(model, req)) add(model.id, `requires[${i}].${field}`, message);
    });
    if (model.prompt && model.prompt.max_length > file.prompt.max_length) {
      add(model.id, 'prompt.max_length', `exceeds the endpoint's maximum of ${file.prompt.max_length}`);
    }
  }
  return problems;
}

/** Validate a parsed catalog file; throws CatalogError naming every bad model and field. */
export function parseCatalog(raw: unknown): Catalog {
  const parsed = CatalogFile.safeParse(raw);
  if (!parsed.success) throw new CatalogError(zodProblems(raw, parsed.error));
  const file = parsed.data;
  const problems = semanticProblems(file);
  if (problems.length > 0) throw new CatalogError(problems);
  return catalogOf(file);
}

/** The lookups of a catalog file already checked (by parseCatalog, or when its snapshot was written). */
function catalogOf(file: CatalogFile): Catalog {
  const byName = new Map<string, ModelRef>();
  const defaults = new Map<ModelEntry, SubModel>();
  for (const model of file.models) {
    const fallback = model.sub_models.find((s) => s.id === model.default_sub_model) ?? model.sub_models[0]!;
    defaults.set(model, fallback);
    for (const name of [model.id, ...(model.aliases ?? [])]) byName.set(name, { model, subModel: fallback });
    for (const sub of model.sub_models) byName.set(sub.id, { model, subModel: sub });
  }
  const byId = new Map(file.models.map((m) => [m.id, m]));
  const defaultSubModel = (model: ModelEntry): SubModel => defaults.get(model) ?? model.sub_models[0]!;
  return {
    file,
    models: file.models,
    nodes: new Map(file.nodes.map((n) => [n.id, n])),
    resolve: (name) => byName.get(name),
    model: (id) => byId.get(id),
    defaultSubModel,
    namesOf: (model) => [...new Set([model.id, ...(model.aliases ?? []), ...model.sub_models.map((s) => s.id)])],
  };
}

/** `src/generated/models.catalog.json`: the built-in catalog parsed and checked ahead of time, for a fast start. */
export const catalogSnapshotPath = (): string => join(paths.generatedDir, 'models.catalog.json');

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** The snapshot's text for the catalog's YAML text: its hash, then the checked file (throws as parseCatalog). */
export function renderCatalogSnapshot(yamlText: string): string {
  return `${JSON.stringify({ source_sha256: sha256(yamlText), catalog: parseCatalog(parseYaml(yamlText)).file }, null, 1)}\n`;
}

/** The snapshot's checked file, if it was written from exactly this YAML text. */
function snapshotOf(yamlText: string): CatalogFile | undefined {
  try {
    const snapshot = JSON.parse(readFileSync(catalogSnapshotPath(), 'utf8')) as {
      source_sha256?: string;
      catalog?: CatalogFile;
    };
    return snapshot.source_sha256 === sha256(yamlText) ? snapshot.catalog : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The catalog in `file`. For the built-in one, the JSON snapshot `npm run generate` writes is used
 * when its hash matches the YAML on disk (parsing and checking the YAML costs ~100 ms of start-up);
 * an edited YAML, or any other file, is always read and checked itself.
 */
export function loadCatalog(file: string = paths.catalog): Catalog {
  let raw: unknown;
  try {
    const text = readFileSync(file, 'utf8');
    const checked = file === paths.catalog ? snapshotOf(text) : undefined;
    if (checked) return catalogOf(checked);
    raw = parseYaml(text);
  } catch (err) {
    throw new CatalogError([
      { model: 'catalog', field: '(file)', message: `cannot read ${file}: ${(err as Error).message}` },
    ]);
  }
  return parseCatalog(raw);
}
