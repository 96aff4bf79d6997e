import type { HarEntry } from './har-file.js';

export const SCRUBBED = '[scrubbed]';

/** Headers whose whole value is a secret (the scheme of Authorization is kept: `Bearer [scrubbed]`). */
const SECRET_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'webhook-secret',
  'x-api-key',
]);

/** Secrets found anywhere in text: API keys, Standard Webhooks secrets, and JSON fields that hold a secret. */
const BUILT_IN: RegExp[] = [/aio_[A-Za-z0-9_-]+/g, /whsec_[A-Za-z0-9+/=]+/g];
const SECRET_FIELD = /("(?:webhook[_-]?secret|secret|api[_-]?key|token)"\s*:\s*")((?:[^"\\]|\\.)*)"/gi;

export type Scrubber = (entry: HarEntry) => HarEntry;

/** Compile `--scrub` patterns; a bad one is the caller's to report. */
export function scrubPattern(source: string): RegExp {
  return new RegExp(source, 'g');
}

/** A function that returns the entry with every secret replaced, built-in ones and `extra`. */
export function createScrubber(extra: RegExp[] = []): Scrubber {
  const patterns = [...BUILT_IN, ...extra.map((r) => (r.global ? r : new RegExp(r.source, `${r.flags}g`)))];
  const text = (s: string): string => {
    let out = s.replace(SECRET_FIELD, (_m, head: string) => `${head}${SCRUBBED}"`);
    for (const p of patterns) out = out.replace(p, SCRUBBED);
    return out;
  };
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return text(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      // A header or cookie: {name, value}; secret-bearing names lose their value whatever it is.
      if (typeof o.name === 'string' && typeof o.value === 'string' && SECRET_HEADERS.has(o.name.toLowerCase())) {
        const scheme = /^(Bearer|Basic|Token)\s/i.exec(o.value)?.[1];
        return { ...o, value: scheme ? `${scheme} ${SCRUBBED}` : SCRUBBED };
      }
      return Object.fromEntries(
        Object.entries(o).map(([k, x]) => [
          k,
          k === 'cookies' && Array.isArray(x)
            ? x.map((c: Record<string, unknown>) => ({ ...c, value: SCRUBBED }))
            : walk(x),
        ]),
      );
    }
    return v;
  };
  return (entry) => walk(entry) as HarEntry;
}
