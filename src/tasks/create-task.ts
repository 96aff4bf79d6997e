import type { Store, TaskCreated, TaskCreation } from '../store/store.js';
import { isStoreUnavailable } from '../store/store-errors.js';

/**
 * How long (wall-clock ms) a submit's createTask may still take effect in the store: one that
 * reaches it later is refused there (Redis TIME against this deadline).
 */
export const CREATE_DEADLINE_MS = 3_000;
/** Past the deadline, how long a submit keeps asking the store what became of its create. */
export const RESOLVE_GRACE_MS = 2_000;
const RESOLVE_RETRY_MS = 100;

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `store.createTask`, answered truthfully even when its answer is lost. The store may have
 * applied the write or not (a timeout says neither), so before answering, the submit asks
 * (`resolveCreate`, by the task id written with the create): created means the task exists;
 * not created also makes a late arrival of the create a no-op, so the submit may answer 503
 * with nothing left behind. Asked until the store answers or the create's deadline (past which
 * the store refuses it anyway) and a grace have passed; then the store's error stands.
 */
export async function createOrResolve(store: Store, c: Omit<TaskCreation, 'deadline'>): Promise<TaskCreated> {
  const deadline = Date.now() + CREATE_DEADLINE_MS;
  // Built field by field, the optional ones only when given: a spread of `c` costs more than the rest of this.
  const creation: TaskCreation = { task: c.task, at: c.at, deadline };
  if (c.idempotency) creation.idempotency = c.idempotency;
  if (c.firstStep) creation.firstStep = c.firstStep;
  if (c.authorize !== undefined) creation.authorize = c.authorize;
  if (c.booking) creation.booking = c.booking;
  try {
    return await store.createTask(creation);
  } catch (err) {
    if (!isStoreUnavailable(err)) throw err;
    for (;;) {
      try {
        return (await store.resolveCreate(c.task.id)) ? { kind: 'created' } : { kind: 'refused' };
      } catch (again) {
        if (!isStoreUnavailable(again) || Date.now() > deadline + RESOLVE_GRACE_MS) throw err;
        await pause(RESOLVE_RETRY_MS);
      }
    }
  }
}
