import { describe, expect, it } from 'vitest';
import { consoleLogger, silentLogger, type Logger } from '../../src/log/logger.js';
import { memoryLogger } from '../helpers/memory-log.js';

const capture = (level: Parameters<typeof consoleLogger>[0]) => {
  const told: unknown[][] = [];
  return { logger: consoleLogger(level, (...parts) => told.push(parts)), told };
};

describe('consoleLogger (the library default)', () => {
  it('writes warnings and errors as before: `gwsim: MESSAGE:` then the error', () => {
    const { logger, told } = capture('warn');
    const err = new Error('boom');
    logger.error({ err }, 'timer failed');
    logger.warn('the store is away; steps wait until the store is back');
    logger.info({ req_id: 'r1' }, 'request');
    logger.debug('task');
    expect(told).toEqual([
      ['gwsim: timer failed:', err],
      ['gwsim: the store is away; steps wait until the store is back'],
    ]);
  });

  it('adds other fields and child bindings as JSON; silent says nothing', () => {
    const { logger, told } = capture('info');
    logger.child({ node: 'node47' }).info({ status: 200 }, 'request');
    expect(told).toEqual([['gwsim: request', '{"node":"node47","status":200}']]);
    expect(logger.isLevelEnabled('info')).toBe(true);
    expect(logger.isLevelEnabled('debug')).toBe(false);
    expect(silentLogger.isLevelEnabled('fatal')).toBe(false);
  });

  it('a pino logger is a Logger as it is', () => {
    const { logger: pinoLogger, lines } = memoryLogger('info');
    const logger: Logger = pinoLogger;
    logger.child({ node: 'node47' }).warn({ status: 503 }, 'x');
    expect(lines).toEqual([expect.objectContaining({ level: 40, node: 'node47', status: 503, msg: 'x' })]);
  });
});
