import { describe, expect, it } from 'vitest';
import { taskTransitionLog } from '../../src/log/task-log.js';
import { memoryLogger } from '../helpers/memory-log.js';

describe('taskTransitionLog', () => {
  it('logs a transition at debug: the task, both statuses and the simulator time', () => {
    const { logger, lines } = memoryLogger('debug');
    taskTransitionLog(logger)({
      taskId: 'n47abc_imagen4',
      model: 'imagen-4',
      from: 'IN_PROGRESS',
      to: 'FAILED',
      at: 12_500,
    });
    expect(lines).toEqual([
      expect.objectContaining({
        level: 20,
        msg: 'task',
        task_id: 'n47abc_imagen4',
        model: 'imagen-4',
        from: 'IN_PROGRESS',
        to: 'FAILED',
        sim_ms: 12_500,
      }),
    ]);
  });

  it('logs nothing above debug', () => {
    const { logger, lines } = memoryLogger('info');
    taskTransitionLog(logger)({ taskId: 't', model: 'imagen-4', from: null, to: 'IN_QUEUE', at: 0 });
    expect(lines).toEqual([]);
  });
});
