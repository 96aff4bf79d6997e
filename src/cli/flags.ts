import { StartupError } from '../startup-error.js';

/** Flag values checked at the boundary, with errors that name the flag. */
export class UsageError extends StartupError {}

export function intFlag(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got '${value}'`);
  return n;
}

export function numberFlag(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min) throw new UsageError(`--${name} must be a number ≥ ${min}, got '${value}'`);
  return n;
}

export function choiceFlag<T extends string>(name: string, value: string | undefined, choices: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if (!choices.includes(value as T)) throw new UsageError(`--${name} must be one of ${choices.join(', ')}, got '${value}'`);
  return value as T;
}
