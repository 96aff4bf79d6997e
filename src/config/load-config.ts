import { readFileSync } from 'node:fs';
import { parseYaml } from '../lazy-yaml.js';
import type { CatalogFile } from '../catalog/catalog-schema.js';
import { CatalogError, parseCatalog, type Catalog } from '../catalog/load-catalog.js';
import { ConfigFile, type ModelOverride } from './config-schema.js';
import { StartupError } from '../startup-error.js';

export class ConfigError extends StartupError {
  override readonly name = 'ConfigError';
  constructor(
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`invalid config ${file}:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
}

const dotted = (path: ReadonlyArray<PropertyKey>): string =>
  path.reduce<string>(
    (acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${String(p)}` : String(p)),
    '',
  );

/** Validate a config object; `source` names it in errors. */
export function parseConfig(raw: unknown, source = 'config'): ConfigFile {
  const parsed = ConfigFile.safeParse(raw ?? {});
  if (!parsed.success)
    throw new ConfigError(
      source,
      parsed.error.issues.map((i) => `${dotted(i.path) || '(root)'}: ${i.message}`),
    );
  const keys = parsed.data.keys ?? [];
  const seen = new Set<string>();
  keys.forEach((k, i) => {
    if (seen.has(k.key)) throw new ConfigError(source, [`keys[${i}].key: duplicate key "${k.key}"`]);
    seen.add(k.key);
  });
  return parsed.data;
}

export function loadConfig(file: string): ConfigFile {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConfigError(file, [`cannot read: ${(err as Error).message}`]);
  }
  return parseConfig(raw, file);
}

function overrideModel(model: CatalogFile['models'][number], o: ModelOverride, where: string, problems: string[]) {
  if (o.latency_ms) model.latency_ms = o.latency_ms;
  if (o.failure_rate !== undefined) model.failure = { rate: o.failure_rate };
  for (const [sub, credits] of Object.entries(o.credits ?? {})) {
    const entry = model.sub_models.find((s) => s.id === sub);
    if (entry) entry.credits = credits;
    else
      problems.push(
        `${where}.credits.${sub}: "${sub}" is not a sub-model of ${model.id} (${model.sub_models.map((s) => s.id).join(', ')})`,
      );
  }
}

/**
 * The catalog with the config's per-model overrides applied, validated again as a whole so an
 * override can never produce a catalog the loader would refuse.
 */
export function applyOverrides(catalog: Catalog, config: ConfigFile, source = 'config'): Catalog {
  if (!config.models || Object.keys(config.models).length === 0) return catalog;
  const file = structuredClone(catalog.file);
  const problems: string[] = [];
  for (const [id, o] of Object.entries(config.models)) {
    const model = file.models.find((m) => m.id === id);
    if (!model) problems.push(`models.${id}: unknown model (known: ${file.models.map((m) => m.id).join(', ')})`);
    else overrideModel(model, o, `models.${id}`, problems);
  }
  if (problems.length > 0) throw new ConfigError(source, problems);
  try {
    return parseCatalog(file);
  } catch (err) {
    if (err instanceof CatalogError)
      throw new ConfigError(
        source,
        err.problems.map((p) => `models.${p.model}.${p.field}: ${p.message}`),
      );
    throw err;
  }
}
