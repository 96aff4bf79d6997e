import { createRequire } from 'node:module';
import { pino, type DestinationStream } from 'pino';
import type PinoPretty from 'pino-pretty';
import { LOG_LEVELS, type Logger } from '../log/logger.js';
import { choiceFlag } from './flags.js';

/** The flags of the commands that log (serve, node). */
export const LOG_FLAGS = {
  'log-level': { type: 'string' },
  'log-format': { type: 'string' },
} as const;

export const LOG_FORMATS = ['json', 'pretty'] as const;

type LogFlagValues = { [K in keyof typeof LOG_FLAGS]?: string | undefined };

// Logs never hold up an answer: writes are asynchronous, flushed on exit (pino does), and what a
// reader too slow to keep up leaves beyond this much is dropped rather than held in memory.
const MAX_BUFFERED = 16 * 1024 * 1024;

/** pino-pretty, loaded only for `--log-format pretty` (it is ~20 modules a JSON log never needs). */
const loadPretty = (): typeof PinoPretty => createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;

/**
 * The command's logger from `--log-level` (default info) and `--log-format` (default json), each
 * checked with an error naming its flag. Always to stderr: stdout carries the ready line alone.
 */
export function cliLogger(values: LogFlagValues): Logger {
  const level = choiceFlag('log-level', values['log-level'], LOG_LEVELS) ?? 'info';
  const format = choiceFlag('log-format', values['log-format'], LOG_FORMATS) ?? 'json';
  const destination: DestinationStream =
    format === 'pretty'
      ? loadPretty()({ destination: 2, sync: false, ignore: 'pid,hostname', translateTime: 'SYS:HH:MM:ss.l' })
      : pino.destination({ dest: 2, sync: false, maxLength: MAX_BUFFERED });
  return pino({ level, base: { pid: process.pid } }, destination);
}
