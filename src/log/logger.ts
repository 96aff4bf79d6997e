/** The levels gwsim logs at, most severe first; `silent` logs nothing. pino's names and order. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** One level's method: fields and a message (pino's calling convention), or a message alone. */
export interface LogFn {
  (fields: object, message?: string): void;
  (message: string): void;
}

/**
 * What gwsim logs through: the part of pino's `Logger` it calls, so a pino logger (`pino()`,
 * fastify's `app.log`) can be passed as it is. Fields are flat; an error goes under `err`.
 */
export interface Logger {
  fatal: LogFn;
  error: LogFn;
  warn: LogFn;
  info: LogFn;
  debug: LogFn;
  trace: LogFn;
  isLevelEnabled(level: string): boolean;
  child(bindings: Record<string, unknown>): Logger;
}

const RANK: Record<string, number> = {
  fatal: 60,
  error: 50,
  warn: 40,
  info: 30,
  debug: 20,
  trace: 10,
  silent: Infinity,
};

/** Where a console logger's lines go: `console.error`'s arguments. */
export type ConsoleSink = (...parts: unknown[]) => void;

const toStderr: ConsoleSink = (...parts) => console.error(...parts);

/**
 * The library's default: what gwsim did before it had a logger. `warn` and above go to
 * `console.error` as `gwsim: MESSAGE` (then the error, then any other fields as JSON); request
 * lines (info) and task transitions (debug) are dropped unless a lower level is given.
 */
export function consoleLogger(
  level: LogLevel = 'warn',
  sink: ConsoleSink = toStderr,
  bindings: Record<string, unknown> = {},
): Logger {
  const threshold = RANK[level] ?? RANK.warn!;
  const at =
    (rank: number): LogFn =>
    (first: object | string, message?: string) => {
      if (rank < threshold) return;
      const { err, ...fields } = { ...bindings, ...(typeof first === 'string' ? {} : first) } as { err?: unknown };
      const text = `gwsim: ${typeof first === 'string' ? first : (message ?? '')}`;
      const rest = Object.keys(fields).length > 0 ? [JSON.stringify(fields)] : [];
      if (err === undefined) sink(text, ...rest);
      else sink(`${text}:`, err, ...rest);
    };
  return {
    fatal: at(60),
    error: at(50),
    warn: at(40),
    info: at(30),
    debug: at(20),
    trace: at(10),
    isLevelEnabled: (name) => (RANK[name] ?? Infinity) >= threshold,
    child: (more) => consoleLogger(level, sink, { ...bindings, ...more }),
  };
}

/** Logs nothing. */
export const silentLogger: Logger = consoleLogger('silent');
