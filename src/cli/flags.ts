import { StartupError } from '../startup-error.js';

/** Flag values checked at the boundary, with errors that name the flag. */
export class UsageError extends StartupError {}

export function intFlag(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max)
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got '${value}'`);
  return n;
}

export function numberFlag(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min)
    throw new UsageError(`--${name} must be a number ≥ ${min}, got '${value}'`);
  return n;
}

export function choiceFlag<T extends string>(
  name: string,
  value: string | undefined,
  choices: readonly T[],
): T | undefined {
  if (value === undefined) return undefined;
  if (!choices.includes(value as T))
    throw new UsageError(`--${name} must be one of ${choices.join(', ')}, got '${value}'`);
  return value as T;
}

/** An http(s) URL flag, trailing slashes dropped. */
export function urlFlag(name: string, text: string | undefined, example: string): string | undefined {
  if (text === undefined) return undefined;
  try {
    const url = new URL(text);
    if (url.protocol === 'http:' || url.protocol === 'https:') return text.replace(/\/+$/, '');
  } catch {
    // reported below
  }
  throw new UsageError(`--${name} must be an http(s) URL (e.g. ${example}), got '${text}'`);
}

/** A `HOST:PORT` flag (`0.0.0.0:8088`, `[::]:0`). */
export function listenFlag(name: string, text: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(text);
  const port = m ? intFlag(name, m[3], 0, 65535) : undefined;
  if (!m || port === undefined) throw new UsageError(`--${name} takes HOST:PORT (e.g. 0.0.0.0:8088), got '${text}'`);
  return { host: m[1] ?? m[2]!, port };
}

/** The flags every command that runs a simulated component takes (serve, node). */
export const SIM_FLAGS = {
  host: { type: 'string' },
  port: { type: 'string' },
  config: { type: 'string' },
  seed: { type: 'string' },
  'time-scale': { type: 'string' },
  clock: { type: 'string' },
} as const;

type SimFlagValues = { [K in keyof typeof SIM_FLAGS]?: string | undefined };

/** SIM_FLAGS' values checked, each error naming its flag. */
export function simFlags(values: SimFlagValues) {
  return {
    host: values.host,
    port: intFlag('port', values.port, 0, 65535),
    seed: intFlag('seed', values.seed, 0, 2 ** 32 - 1),
    timeScale: numberFlag('time-scale', values['time-scale'], 0),
    clock: choiceFlag('clock', values.clock, ['real', 'manual'] as const),
  };
}
