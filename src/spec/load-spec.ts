import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
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

export function loadSpec(file: string = paths.gatewaySpec): OpenApiDoc {
  let doc = cache.get(file);
  if (!doc) {
    doc = parseYaml(readFileSync(file, 'utf8')) as OpenApiDoc;
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
