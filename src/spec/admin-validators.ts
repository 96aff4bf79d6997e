import { paths } from '../paths.js';
import { loadSpec } from './load-spec.js';
import { describeError, errorField, SpecValidators } from './validators.js';

// Compiled once per process, as each spec is parsed once (loadSpec): every caller gets the same validators.
let admin: SpecValidators | undefined;
let nodeAdmin: SpecValidators | undefined;

/** openapi/admin.yaml's validators (gwsim's `/_sim`); its `gateway.yaml#…` refs resolve to the gateway spec. */
export function adminValidators(): SpecValidators {
  admin ??= new SpecValidators(loadSpec(paths.adminSpec), 'admin.yaml', {
    refs: { 'gateway.yaml': loadSpec(paths.gatewaySpec) },
  });
  return admin;
}

/** openapi/node-admin.yaml's validators (a `gwsim node`'s `/_sim`). */
export function nodeAdminValidators(): SpecValidators {
  nodeAdmin ??= new SpecValidators(loadSpec(paths.nodeAdminSpec), 'node-admin.yaml', {
    refs: {
      'gateway.yaml': loadSpec(paths.gatewaySpec),
      'node.yaml': loadSpec(paths.nodeSpec),
      'admin.yaml': loadSpec(paths.adminSpec),
    },
  });
  return nodeAdmin;
}

const UNKNOWN_FIELD = 'is not a field of this request';

/** A field and why it is wrong, from a validator's first error. */
export interface Problem {
  field: string;
  /** The whole message, naming the field (`'credits' must be >= 0`). */
  message: string;
}

/** Why `value` does not fit the schema `#/components/schemas/{name}`; undefined when it fits. */
export function schemaProblem(validators: SpecValidators, name: string, value: unknown): Problem | undefined {
  const validate = validators.schema(name);
  const error = validate(value) ? undefined : validate.errors?.[0];
  return error && { field: errorField(error), message: describeError(error, UNKNOWN_FIELD) };
}

/** Why a request body does not fit its operation's schema in the spec; undefined when it fits. */
export function bodyProblem(
  validators: SpecValidators,
  path: string,
  method: string,
  body: unknown,
): string | undefined {
  const validate = validators.requestBody(path, method);
  if (!validate) throw new Error(`${method} ${path} takes no JSON body in the spec`);
  const error = validate(body) ? undefined : validate.errors?.[0];
  return error && describeError(error, UNKNOWN_FIELD);
}

export type QueryValues = Record<string, string | number>;

/**
 * The operation's query parameters, each given at most once and fitting its schema (integers read
 * from their text): `[values]`, or `[undefined, message]` naming the parameter. Undeclared ones
 * are left alone (the caller decides whether they are an error).
 */
export function readQuery(
  validators: SpecValidators,
  path: string,
  method: string,
  query: Record<string, unknown>,
): [QueryValues] | [undefined, string] {
  const values: QueryValues = {};
  for (const { name, integer, validate, default: fallback } of validators.queryParameters(path, method)) {
    const given = query[name];
    if (given === undefined) {
      if (typeof fallback === 'string' || typeof fallback === 'number') values[name] = fallback;
      continue;
    }
    if (typeof given !== 'string') return [undefined, `'${name}' must be given once`];
    const value = integer && /^-?\d{1,16}$/.test(given) ? Number(given) : given;
    const error = validate(value) ? undefined : validate.errors?.[0];
    if (error) return [undefined, describeError({ ...error, instancePath: `/${name}${error.instancePath}` })];
    values[name] = value;
  }
  return [values];
}
