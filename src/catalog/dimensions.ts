import type { ModelEntry, OutputRule } from './catalog-schema.js';

export interface Dimensions {
  width: number;
  height: number;
}

/** `"1024*1024"` (the gateway's notation) or `"1024x1024"` → dimensions. */
export function parseSize(size: string): Dimensions | undefined {
  const m = /^(\d{2,5})[*x](\d{2,5})$/.exec(size);
  return m ? { width: Number(m[1]), height: Number(m[2]) } : undefined;
}

export function parseAspectRatio(ratio: string): [number, number] | undefined {
  const m = /^(\d{1,2}):(\d{1,2})$/.exec(ratio);
  if (!m) return undefined;
  const a = Number(m[1]);
  const b = Number(m[2]);
  return a > 0 && b > 0 ? [a, b] : undefined;
}

const DEFAULT_BASE = 1024;
const round16 = (n: number): number => Math.max(16, Math.round(n / 16) * 16);

/** Width and height for a ratio at about base × base pixels, rounded to multiples of 16. */
export function fromAspectRatio([a, b]: [number, number], base: number): Dimensions {
  return { width: round16(base * Math.sqrt(a / b)), height: round16(base * Math.sqrt(b / a)) };
}

/**
 * The output size of one image, from a request whose defaults are already applied. The catalog
 * loader has checked that every enum value of the referenced parameters parses, so a validated
 * request always has an answer.
 */
export function outputDimensions(rule: OutputRule, params: Record<string, unknown>): Dimensions {
  // Per rule, the answers for the values seen (a model's enums: a handful), so a submit parses nothing.
  let known = KNOWN.get(rule);
  if (!known) KNOWN.set(rule, (known = new Map<string, Readonly<Dimensions>>()));
  const value = `${String(rule.from === 'size' ? params.size : params.aspect_ratio)}\n${String(params.resolution)}`;
  let dims = known.get(value);
  if (!dims) {
    dims = Object.freeze(computeDimensions(rule, params));
    if (known.size < KNOWN_PER_RULE) known.set(value, dims);
  }
  return dims;
}

const KNOWN = new WeakMap<OutputRule, Map<string, Readonly<Dimensions>>>();
/** Beyond this many values a rule's answers are worked out each time (only fixtures send values off the enums). */
const KNOWN_PER_RULE = 256;

function computeDimensions(rule: OutputRule, params: Record<string, unknown>): Dimensions {
  if (rule.from === 'size') {
    const dims = parseSize(String(params.size));
    if (!dims) throw new Error(`unparseable size ${String(params.size)}`);
    return dims;
  }
  const ratio = parseAspectRatio(String(params.aspect_ratio));
  if (!ratio) throw new Error(`unparseable aspect_ratio ${String(params.aspect_ratio)}`);
  const base = (rule.resolution && rule.resolution[String(params.resolution)]) ?? rule.base ?? DEFAULT_BASE;
  return fromAspectRatio(ratio, base);
}

/** Problems with a model's output rule against its own parameters, as [field, message]. */
export function checkOutputRule(model: ModelEntry): Array<[string, string]> {
  const problems: Array<[string, string]> = [];
  const rule = model.output;
  const param = model.params[rule.from];
  if (!param || param.type !== 'string' || !param.enum) {
    return [[`output.from`, `needs a string parameter "${rule.from}" with an enum`]];
  }
  const parse = rule.from === 'size' ? parseSize : parseAspectRatio;
  for (const value of param.enum) {
    if (!parse(value)) problems.push([`params.${rule.from}.enum`, `"${value}" is not a valid ${rule.from}`]);
  }
  if (rule.from === 'aspect_ratio' && rule.resolution) {
    const res = model.params.resolution;
    if (!res || res.type !== 'string' || !res.enum) {
      problems.push(['output.resolution', 'needs a string parameter "resolution" with an enum']);
    } else {
      for (const value of res.enum) {
        if (!(value in rule.resolution)) problems.push(['output.resolution', `has no size for resolution "${value}"`]);
      }
    }
  }
  return problems;
}
