import { describe, expect, it } from 'vitest';
import { paths } from '../../src/paths.js';
import { loadSpec, resolveRef, type OpenApiDoc } from '../../src/spec/load-spec.js';
import { SpecValidators, describeError } from '../../src/spec/validators.js';

interface Ref {
  $ref: string;
}
interface ExampleObject {
  summary?: string;
  value?: unknown;
  externalValue?: string;
}
interface MediaType {
  schema?: unknown;
  example?: unknown;
  examples?: Record<string, ExampleObject | Ref>;
}
/** A parameter or a header: both carry a schema with example(s), or content. */
interface ParameterLike {
  name?: string;
  in?: string;
  schema?: unknown;
  example?: unknown;
  examples?: Record<string, ExampleObject | Ref>;
  content?: Record<string, MediaType>;
}
interface Response {
  headers?: Record<string, ParameterLike | Ref>;
  content?: Record<string, MediaType>;
}
interface Operation {
  parameters?: Array<ParameterLike | Ref>;
  requestBody?: { content?: Record<string, MediaType> } | Ref;
  responses?: Record<string, Response | Ref>;
}
type PathItem = Partial<Record<(typeof METHODS)[number], Operation>> & { parameters?: Array<ParameterLike | Ref> };

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

interface Report {
  /** Example values validated. */
  checked: number;
  /** Examples that do not fit their schema (or cannot be read). */
  failures: string[];
  /** Request bodies and response contents without any example. */
  missing: string[];
  /** The `#/components/examples/…` references followed. */
  usedExamples: Set<string>;
  operations: number;
}

/** Validate every example of an OpenAPI document against the schema next to it. */
function checkExamples(doc: OpenApiDoc, id?: string, refs: Record<string, OpenApiDoc> = {}): Report {
  const validators = new SpecValidators(doc, id, { refs });
  const report: Report = { checked: 0, failures: [], missing: [], usedExamples: new Set(), operations: 0 };

  const check = (where: string, schema: unknown, value: unknown): void => {
    report.checked++;
    if (schema === undefined) {
      report.failures.push(`${where}: has an example but no schema`);
      return;
    }
    let validate: ReturnType<SpecValidators['inline']>;
    try {
      validate = validators.inline(schema);
    } catch (err) {
      report.failures.push(`${where}: its schema does not compile: ${(err as Error).message}`);
      return;
    }
    if (!validate(value))
      report.failures.push(`${where}: ${(validate.errors ?? []).map((e) => describeError(e)).join('; ')}`);
  };

  /** Check `example` and every `examples` entry of an object with a schema; returns how many. */
  const checkAll = (
    where: string,
    holder: { schema?: unknown; example?: unknown; examples?: Record<string, ExampleObject | Ref> },
  ): number => {
    let count = 0;
    if (holder.example !== undefined) {
      check(`${where} example`, holder.schema, holder.example);
      count++;
    }
    for (const [name, entry] of Object.entries(holder.examples ?? {})) {
      if ('$ref' in entry) report.usedExamples.add(entry.$ref);
      const example = resolveRef<ExampleObject>(doc, entry);
      if (!('value' in example)) {
        report.failures.push(`${where} examples.${name}: has no inline value`);
        continue;
      }
      check(`${where} examples.${name}`, holder.schema, example.value);
      count++;
    }
    return count;
  };

  const checkContent = (where: string, content: Record<string, MediaType>): void => {
    for (const [type, media] of Object.entries(content)) {
      if (checkAll(`${where} ${type}`, media) === 0) report.missing.push(`${where} ${type}`);
    }
  };

  const checkParameter = (where: string, param: ParameterLike): void => {
    checkAll(where, param);
    for (const [type, media] of Object.entries(param.content ?? {})) checkAll(`${where} ${type}`, media);
  };

  const groups: Array<[string, Record<string, PathItem>]> = [
    ['paths', doc.paths],
    ['webhooks', doc.webhooks ?? {}],
  ];
  for (const [group, items] of groups) {
    for (const [path, item] of Object.entries(items)) {
      for (const method of METHODS) {
        const op = item[method];
        if (!op) continue;
        report.operations++;
        const where = `${group} ${method.toUpperCase()} ${path}`;
        for (const p of [...(item.parameters ?? []), ...(op.parameters ?? [])]) {
          const param = resolveRef<ParameterLike>(doc, p);
          checkParameter(`${where} parameter ${param.in ?? '?'} ${param.name ?? '?'}`, param);
        }
        if (op.requestBody) {
          const body = resolveRef<{ content?: Record<string, MediaType> }>(doc, op.requestBody);
          checkContent(`${where} request`, body.content ?? {});
        }
        for (const [status, declared] of Object.entries(op.responses ?? {})) {
          const response = resolveRef<Response>(doc, declared);
          for (const [name, header] of Object.entries(response.headers ?? {})) {
            checkParameter(`${where} ${status} header ${name}`, resolveRef<ParameterLike>(doc, header));
          }
          if (response.content) checkContent(`${where} ${status}`, response.content);
        }
      }
    }
  }
  return report;
}

// The admin specs refer to the others by file name (`gateway.yaml#/components/schemas/ErrorBody`).
const refs = (): Record<string, OpenApiDoc> => ({
  'gateway.yaml': loadSpec(paths.gatewaySpec),
  'node.yaml': loadSpec(paths.nodeSpec),
  'admin.yaml': loadSpec(paths.adminSpec),
});

describe.each([
  { name: 'gateway', file: paths.gatewaySpec, minimum: 21, id: undefined },
  { name: 'node', file: paths.nodeSpec, minimum: 5, id: undefined },
  { name: 'admin', file: paths.adminSpec, minimum: 30, id: 'admin.yaml' },
  { name: 'node admin', file: paths.nodeAdminSpec, minimum: 10, id: 'node-admin.yaml' },
])('the examples of the $name spec', ({ file, minimum, id }) => {
  const doc = loadSpec(file);
  let cached: Report | undefined;
  const report = (): Report => (cached ??= checkExamples(doc, id, id ? refs() : {}));

  it('all fit their schemas', () => {
    expect(report().failures).toEqual([]);
  });

  it('cover every request body and every response with content', () => {
    expect(report().operations).toBeGreaterThan(0);
    expect(report().missing).toEqual([]);
  });

  it(`are numerous enough to mean something (at least ${minimum})`, () => {
    expect(report().checked).toBeGreaterThanOrEqual(minimum);
  });

  it('include every example of components.examples', () => {
    const declared = Object.keys(doc.components.examples ?? {}).map((name) => `#/components/examples/${name}`);
    expect(declared.filter((ref) => !report().usedExamples.has(ref))).toEqual([]);
  });
});

describe('the example check itself', () => {
  const gateway = (): OpenApiDoc => structuredClone(loadSpec(paths.gatewaySpec));

  it('catches a generated example that breaks its schema', () => {
    const doc = gateway();
    const queued = doc.components.examples!.TaskQueued!.value as { data: { status: string } };
    queued.data.status = 'DONE';
    const { failures } = checkExamples(doc);
    expect(failures.length).toBeGreaterThan(0);
    expect(failures.join('\n')).toContain('status');
  });

  it('catches a parameter example that breaks its schema', () => {
    const doc = gateway();
    const params = (doc as unknown as { components: { parameters: Record<string, ParameterLike> } }).components
      .parameters;
    params.TaskId!.example = '';
    expect(checkExamples(doc).failures.join('\n')).toMatch(/task_id/);
  });

  it('catches a response without an example', () => {
    const doc = gateway();
    const responses = doc.components.responses as Record<string, Response>;
    delete responses.NotFound!.content!['application/json']!.example;
    expect(checkExamples(doc).missing.join('\n')).toMatch(/GET \/api\/v1\/tasks\/\{task_id\} 404/);
  });
});
