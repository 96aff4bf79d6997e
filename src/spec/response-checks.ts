import type { SpecValidators } from './validators.js';

/**
 * Response checks against a spec, one per operation: `(path, method)` gives a check of a status
 * and body that returns what is wrong, or undefined when the answer fits (`validateResponses`).
 */
export function specChecks(validators: SpecValidators) {
  return (path: string, method: string) =>
    (status: number, body: unknown): string | undefined => {
      const validate = validators.response(path, method, status);
      if (!validate) return `status ${status} is not declared for ${method.toUpperCase()} ${path}`;
      return validate(body) ? undefined : `${method.toUpperCase()} ${path} ${status}: ${validators.describe(validate)}`;
    };
}
