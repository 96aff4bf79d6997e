/** How one JSON answer differs from another in structure: fields, types, enum values. */
export interface ShapeDifference {
  /** `$.data.output.images[].url` (array elements as `[]`). */
  path: string;
  kind: 'extra' | 'missing' | 'type' | 'value';
  /** What the recording has there (a type, or a value for `value`). */
  recorded?: string;
  simulator?: string;
}

export interface ShapeOptions {
  /** Paths not compared (the path itself and everything below it). */
  ignored: (path: string) => boolean;
  /** Paths whose values are compared, not just their shape (the envelope's `code`, an error's `type`). */
  values: ReadonlySet<string>;
  /** Paths whose recorded value must be one of these (the task status enum). */
  enums: ReadonlyMap<string, readonly string[]>;
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/;

/**
 * The shape of a value: its JSON type, and for strings whether it is a timestamp or a URL. Ids,
 * times and URLs differ on every run, so they are held to their shape, never their value.
 */
export function shapeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'string')
    return ISO_TIME.test(v) ? 'string (date-time)' : /^https?:\/\//.test(v) ? 'string (url)' : 'string';
  return typeof v;
}

/** Turn `--ignore` paths (`data.queue_position`, `$.data.attempts[]`, `data.*.url`) into a matcher. */
export function ignoreMatcher(paths: readonly string[]): (path: string) => boolean {
  const patterns = paths.map((p) => {
    const norm = (p.startsWith('$') ? p : `$.${p}`).replace(/\[\d*\]/g, '[]');
    const body = norm
      .split('*')
      .map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('[^.\\[]+');
    return new RegExp(`^${body}(?:$|[.\\[])`);
  });
  return (path) => patterns.some((r) => r.test(path));
}

const key = (path: string, k: string) =>
  /^[A-Za-z_][\w-]*$/.test(k) ? `${path}.${k}` : `${path}[${JSON.stringify(k)}]`;

/**
 * The structural differences of `recorded` from `simulated`, at every depth. A null on either side
 * matches anything (whether a field is set is a matter of the task's state, not of its shape).
 */
export function compareShapes(
  recorded: unknown,
  simulated: unknown,
  options: ShapeOptions,
  path = '$',
): ShapeDifference[] {
  if (options.ignored(path)) return [];
  const allowed = options.enums.get(path);
  if (allowed && typeof recorded === 'string' && !allowed.includes(recorded)) {
    return [{ path, kind: 'value', recorded: JSON.stringify(recorded), simulator: `one of ${allowed.join(', ')}` }];
  }
  if (recorded === null || simulated === null || recorded === undefined || simulated === undefined) return [];
  const [rs, ss] = [shapeOf(recorded), shapeOf(simulated)];
  if (rs.split(' ')[0] !== ss.split(' ')[0] || (rs !== ss && rs !== 'string' && ss !== 'string'))
    return [{ path, kind: 'type', recorded: rs, simulator: ss }];
  if (options.values.has(path) && JSON.stringify(recorded) !== JSON.stringify(simulated)) {
    return [{ path, kind: 'value', recorded: JSON.stringify(recorded), simulator: JSON.stringify(simulated) }];
  }
  if (Array.isArray(recorded) && Array.isArray(simulated)) {
    // Elements by position, as far as both go: lengths follow the data (images asked for, attempts made).
    const n = Math.min(recorded.length, simulated.length);
    const seen = new Set<string>();
    const out: ShapeDifference[] = [];
    for (let i = 0; i < n; i++) {
      for (const d of compareShapes(recorded[i], simulated[i], options, `${path}[]`)) {
        const id = `${d.path}|${d.kind}`;
        if (!seen.has(id)) {
          out.push(d);
          seen.add(id);
        }
      }
    }
    return out;
  }
  if (rs === 'object') {
    const r = recorded as Record<string, unknown>;
    const s = simulated as Record<string, unknown>;
    const out: ShapeDifference[] = [];
    for (const k of Object.keys(r)) {
      const p = key(path, k);
      if (options.ignored(p)) continue;
      if (!(k in s)) out.push({ path: p, kind: 'extra', recorded: shapeOf(r[k]) });
      else out.push(...compareShapes(r[k], s[k], options, p));
    }
    for (const k of Object.keys(s)) {
      const p = key(path, k);
      if (!(k in r) && !options.ignored(p)) out.push({ path: p, kind: 'missing', simulator: shapeOf(s[k]) });
    }
    return out;
  }
  return [];
}
