import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { Logger, LogLevel } from '../../src/log/logger.js';

export type LogLine = Record<string, unknown>;

/** A real pino logger writing JSON lines into memory, parsed. */
export function memoryLogger(level: LogLevel): { logger: Logger; lines: LogLine[]; text: () => string } {
  const lines: LogLine[] = [];
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString('utf8');
      for (const line of chunk.toString('utf8').split('\n')) if (line) lines.push(JSON.parse(line) as LogLine);
      done();
    },
  });
  return { logger: pino({ level }, stream), lines, text: () => text };
}

/** Wait (bounded: 2 s) until `lines` holds `n` lines that match: a request's line is written once its answer is done. */
export async function linesMatching(lines: LogLine[], n: number, match: (l: LogLine) => boolean): Promise<LogLine[]> {
  for (let i = 0; i < 400; i++) {
    const found = lines.filter(match);
    if (found.length >= n) return found;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`expected ${n} matching log lines, got ${lines.filter(match).length}: ${JSON.stringify(lines)}`);
}
