import { createRequire } from 'node:module';
import type { Ajv2020, ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import type { OpenApiDoc, ResponseObject } from './load-spec.js';
import { resolveRef } from './load-spec.js';

// Loaded on the first compile, so a start that compiles nothing does not load ajv (~50 ms of modules).
const require = createRequire(import.meta.url);
const loadAjv = () => (require('ajv/dist/2020.js') as { Ajv2020: typeof Ajv2020 }).Ajv2020;
const loadFormats = () => require('ajv-formats') as { default: (ajv: Ajv2020) => Ajv2020 };

/** OpenAPI keywords that are annotations to a JSON Schema validator. */
const OPENAPI_KEYWORDS = ['discriminator', 'example', 'xml', 'externalDocs', 'x-gwsim-assumed', 'components'];

/**
 * Validators compiled from one OpenAPI document: the document's `components.schemas` are added
 * once under an id, and every validator is a `$ref` into them, so compilation is shared.
 */
export class SpecValidators {
  private instance: Ajv2020 | undefined;
  private readonly id: string;
  private readonly compiled = new Map<string, ValidateFunction>();
  /** `schema(name)`'s answers by name: callers on the hot path (a node's JobRequest) skip building the pointer. */
  private readonly named = new Map<string, ValidateFunction>();

  constructor(
    readonly doc: OpenApiDoc,
    id = 'spec',
    private readonly options: { useDefaults?: boolean; refs?: Record<string, OpenApiDoc> } = {},
  ) {
    this.id = id;
  }

  /** The ajv instance with the document's schemas added, made on the first compile. */
  private get ajv(): Ajv2020 {
    if (this.instance) return this.instance;
    const { doc, id, options } = this;
    const Ajv = loadAjv();
    // OpenAPI 3.1 schemas may list several types (`type: [string, integer]`); strict mode
    // refuses that unless union types are allowed.
    const ajv = new Ajv({
      allErrors: false,
      strict: true,
      allowUnionTypes: true,
      useDefaults: options.useDefaults ?? false,
      keywords: OPENAPI_KEYWORDS,
      // The spec is linted (Spectral) and its examples validated in npm test: no meta-schema pass at start.
      validateSchema: false,
    });
    loadFormats().default(ajv);
    ajv.addSchema({ $id: id, $defs: {}, components: { schemas: doc.components.schemas } }, id);
    // Documents this one refers to (`gateway.yaml#/components/schemas/ErrorBody`), by the name it uses.
    for (const [name, other] of Object.entries(options.refs ?? {}))
      if (name !== id) ajv.addSchema({ $id: name, $defs: {}, components: { schemas: other.components.schemas } }, name);
    return (this.instance = ajv);
  }

  /** A validator for `#/components/schemas/{name}`. */
  schema(name: string): ValidateFunction {
    let fn = this.named.get(name);
    if (!fn) {
      fn = this.ref(`#/components/schemas/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`);
      this.named.set(name, fn);
    }
    return fn;
  }

  /** A validator for any schema object of the document (may contain local `$ref`s). */
  ref(pointer: string): ValidateFunction {
    let fn = this.compiled.get(pointer);
    if (!fn) {
      fn = this.ajv.compile({ $ref: `${this.id}${pointer}` });
      this.compiled.set(pointer, fn);
    }
    return fn;
  }

  /** Validate any value against an inline schema object of the document. */
  inline(schema: unknown): ValidateFunction {
    const key = JSON.stringify(schema);
    let fn = this.compiled.get(key);
    if (!fn) {
      fn = this.ajv.compile(rebase(schema, this.id) as object);
      this.compiled.set(key, fn);
    }
    return fn;
  }

  /** The first error of the last run of `validate`, in words. */
  describe(validate: ValidateFunction): string {
    const e = validate.errors?.[0];
    return e ? `${e.instancePath || '(body)'} ${e.message ?? 'is invalid'} ${JSON.stringify(e.params)}` : 'invalid';
  }

  /** The validator of an operation's JSON request body, or undefined if it takes none. */
  requestBody(path: string, method: string): ValidateFunction | undefined {
    const schema = this.doc.paths[path]?.[method.toLowerCase()]?.requestBody?.content['application/json']?.schema;
    return schema === undefined ? undefined : this.inline(schema);
  }

  /** An operation's query parameters (its path's and its own), each with its schema's validator. */
  queryParameters(path: string, method: string): QueryParameter[] {
    // A path item's own `parameters` sit beside its operations.
    const shared = (this.doc.paths[path] as { parameters?: unknown[] } | undefined)?.parameters ?? [];
    const declared = [...shared, ...(this.doc.paths[path]?.[method.toLowerCase()]?.parameters ?? [])];
    return declared
      .map((p) => resolveRef<ParameterObject>(this.doc, p as ParameterObject))
      .filter((p) => p.in === 'query')
      .map((p) => ({
        name: p.name,
        integer: (p.schema as { type?: unknown } | undefined)?.type === 'integer',
        default: (p.schema as { default?: unknown } | undefined)?.default,
        validate: this.inline(p.schema ?? {}),
      }));
  }

  /** The validator of a response body for `method path status`, or undefined if undeclared. */
  response(path: string, method: string, status: number): ValidateFunction | undefined {
    const op = this.doc.paths[path]?.[method.toLowerCase()];
    const declared = op?.responses[String(status)];
    if (!declared) return undefined;
    const schema = resolveRef<ResponseObject>(this.doc, declared).content?.['application/json']?.schema;
    return schema === undefined ? undefined : this.inline(schema);
  }
}

/** A query parameter as `queryParameters` gives it. */
export interface QueryParameter {
  name: string;
  /** Its schema is an integer: the text is read as a number first. */
  integer: boolean;
  /** The schema's `default`, used when the parameter is not given. */
  default: unknown;
  validate: ValidateFunction;
}

interface ParameterObject {
  name: string;
  in: string;
  schema?: unknown;
}

/** Point the local refs of an inline schema at the document added under `id`. */
function rebase(schema: unknown, id: string): unknown {
  if (Array.isArray(schema)) return schema.map((s) => rebase(s, id));
  if (schema && typeof schema === 'object') {
    return Object.fromEntries(
      Object.entries(schema).map(([k, v]) => [
        k,
        k === '$ref' && typeof v === 'string' && v.startsWith('#/') ? `${id}${v}` : rebase(v, id),
      ]),
    );
  }
  return schema;
}

/** `'size'`, `'aspect_ratio'`, `'input_urls[0]'`: the field an ajv error is about. */
export function errorField(error: ErrorObject): string {
  const path = error.instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  const params = error.params as { missingProperty?: string; additionalProperty?: string };
  const leaf = params.missingProperty ?? params.additionalProperty;
  if (leaf !== undefined) path.push(leaf);
  return path.reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '') || '(body)';
}

/** A one-line reason naming the field, e.g. `'size' must be one of 1024*1024, 768*1344`. */
export function describeError(error: ErrorObject, unknownField = 'is not a parameter of this model'): string {
  const field = errorField(error);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return `'${field}' is required`;
    case 'additionalProperties':
      return `'${field}' ${unknownField}`;
    case 'enum':
      return `'${field}' must be one of ${(params.allowedValues as unknown[]).join(', ')}`;
    case 'const':
      return `'${field}' must be ${JSON.stringify(params.allowedValue)}`;
    case 'false schema':
      return `'${field}' is not allowed here`;
    case 'type':
      if (field === '(body)' && params.type === 'object') return `'(body)' must be a JSON object`;
      return `'${field}' must be of type ${String(params.type)}`;
    default:
      return `'${field}' ${error.message ?? 'is invalid'}`;
  }
}
