import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { parseYaml } from '../lazy-yaml.js';
import { paths } from '../paths.js';

/** The parts of an OpenAPI document gwsim reads; the rest is left untyped on purpose. */
export interface OpenApiDoc {
  paths: Record<string, Record<string, OperationObject>>;
  webhooks?: Record<string, Record<string, OperationObject>>;
  components: {
    schemas: Record<string, unknown>;
    responses?: Record<string, ResponseObject>;
    examples?: Record<string, { value: unknown }>;
  };
}

export interface OperationObject {
  operationId?: string;
  parameters?: unknown[];
  requestBody?: { content: Record<string, MediaObject> };
  responses: Record<string, ResponseObject | { $ref: string }>;
}

export interface ResponseObject {
  description: string;
  content?: Record<string, MediaObject>;
}

export interface MediaObject {
  schema?: unknown;
  example?: unknown;
  examples?: Record<string, { value?: unknown; $ref?: string }>;
}

const cache = new Map<string, OpenApiDoc>();

/** `src/generated/<name>.spec.json`: the spec parsed ahead of time, for a fast start. */
export const snapshotPath = (specFile: string): string =>
  join(paths.generatedDir, `${basename(specFile, extname(specFile))}.spec.json`);

/** The snapshot's text for a spec's YAML text: its hash, then the parsed document. */
export function renderSnapshot(yamlText: string): string {
  return `${JSON.stringify({ source_sha256: sha256(yamlText), spec: parseYaml(yamlText) }, null, 1)}\n`;
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/**
 * A spec, parsed once per process. The JSON snapshot `npm run generate` writes is used when its
 * hash matches the YAML on disk (parsing the YAML costs ~100 ms of start-up); an edited YAML is
 * always read itself.
 */
export function loadSpec(file: string = paths.gatewaySpec): OpenApiDoc {
  let doc = cache.get(file);
  if (!doc) {
    const text = readFileSync(file, 'utf8');
    let snapshot: { source_sha256?: string; spec?: OpenApiDoc } | undefined;
    try {
      snapshot = JSON.parse(readFileSync(snapshotPath(file), 'utf8')) as typeof snapshot;
    } catch {
      snapshot = undefined;
    }
    doc = snapshot?.source_sha256 === sha256(text) && snapshot.spec ? snapshot.spec : (parseYaml(text) as OpenApiDoc);
    cache.set(file, doc);
  }
  return doc;
}

/** Follow a local `#/…` reference inside the document. */
export function resolveRef<T>(doc: OpenApiDoc, value: T | { $ref: string }): T {
  let current: unknown = value;
  for (let hops = 0; hops < 10 && current && typeof current === 'object' && '$ref' in current; hops++) {
    const ref = (current as { $ref: string }).$ref;
    if (!ref.startsWith('#/')) throw new Error(`only local references are supported: ${ref}`);
    current = ref
      .slice(2)
      .split('/')
      .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], doc);
    if (current === undefined) throw new Error(`unresolved reference ${ref}`);
  }
  return current as T;
}
