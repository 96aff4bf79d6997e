import type { Logger } from './logger.js';

/** A task's status change as its owner (src/tasks/orchestrator.ts) reports it: a `TaskTransition` fits. */
export interface TransitionSubject {
  taskId: string;
  model: string;
  /** The status it left; null when it was just created. */
  from: string | null;
  to: string;
  /** Simulator clock, epoch ms. */
  at: number;
}

export type TaskTransitionLog = (transition: TransitionSubject) => void;

/**
 * One line per task transition at debug, `msg: "task"`, with `task_id`, `model`, `from`, `to` and
 * `sim_ms` (the simulator clock's time of the change). Below debug it is a no-op that builds nothing.
 */
export function taskTransitionLog(logger: Logger): TaskTransitionLog {
  if (!logger.isLevelEnabled('debug')) return () => undefined;
  return (t) => logger.debug({ task_id: t.taskId, model: t.model, from: t.from, to: t.to, sim_ms: t.at }, 'task');
}
