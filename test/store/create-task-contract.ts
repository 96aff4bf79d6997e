import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ScheduledJob, Store, TaskCreation } from '../../src/store/store.js';
import { makeTask } from './store-contract.js';

const LIMIT = { requests: 100, window_s: 60 };
const SECRET = 'whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ=';
const T0 = 1_767_225_600_000;
const IDEM = { scope: 'aio_alice\nidem-1', fingerprint: 'fp-1', ttlMs: 86_400_000, pendingTtlMs: 60_000 };

const firstStep = (taskId: string, id = `job-${taskId}`): ScheduledJob => ({
  id,
  due: T0,
  kind: 'dispatch.attempt',
  payload: JSON.stringify({ taskId }),
  taskId,
});

/** createTask, its resolution, and the reads the reconciler and the tests' snapshot use: every Store alike. */
export function runCreateTaskContract(name: string, make: () => Promise<Store>): void {
  describe(`Store contract, submits and recovery: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await make();
      await store.createKey('aio_alice', 20, SECRET, LIMIT, T0);
    });
    afterEach(async () => {
      await store?.close();
    });

    const create = (over: Partial<TaskCreation> = {}) =>
      store.createTask({ task: makeTask({ id: 't1' }), at: T0, ...over });

    /** What a refused create must leave: the key's grant and nothing else. */
    async function expectNothing(): Promise<void> {
      expect(await store.listTasks({})).toEqual([]);
      expect((await store.ledger('aio_alice')).map((e) => e.kind)).toEqual(['grant']);
      expect(await store.getKey('aio_alice')).toMatchObject({ credits: 20, held: 0 });
      expect(await store.pendingJobs()).toBe(0);
      expect(await store.idempotencyClaims()).toEqual({});
    }

    it('creates hold, task, idempotency binding and a leased first step at once', async () => {
      expect(await create({ idempotency: IDEM, firstStep: { job: firstStep('t1'), leasedUntil: T0 + 1000 } })).toEqual({
        kind: 'created',
      });
      expect((await store.getTask('t1'))?.status).toBe('IN_QUEUE');
      expect(await store.getKey('aio_alice')).toMatchObject({ credits: 20, held: 8 });
      expect((await store.ledger('aio_alice')).map((e) => [e.kind, e.task_id])).toEqual([
        ['grant', null],
        ['hold', 't1'],
      ]);
      expect(await store.idempotencyClaims()).toEqual({
        [IDEM.scope]: { fingerprint: 'fp-1', taskId: 't1', createdAt: T0 },
      });
      // Leased to its creator: no one else claims it before the lease runs out, then anyone may.
      expect(await store.claimDueJobs(T0 + 999, 10, 1000)).toEqual([]);
      expect((await store.claimDueJobs(T0 + 1000, 10, 1000)).map((j) => j.id)).toEqual(['job-t1']);
      expect(await store.resolveCreate('t1')).toBe(true);
    });

    it('insufficient credits, an unknown key and a live claim leave nothing behind', async () => {
      expect(await create({ task: makeTask({ id: 't1', held: 21 }) })).toEqual({ kind: 'insufficient', available: 20 });
      expect(await create({ task: makeTask({ id: 't1', key: 'aio_nobody' }) })).toEqual({ kind: 'unknown_key' });
      await expectNothing();
      expect(await create({ idempotency: IDEM })).toEqual({ kind: 'created' });
      const again = await store.createTask({ task: makeTask({ id: 't2' }), at: T0 + 5, idempotency: IDEM });
      expect(again).toEqual({ kind: 'duplicate', record: { fingerprint: 'fp-1', taskId: 't1', createdAt: T0 } });
      expect((await store.listTasks({})).map((t) => t.id)).toEqual(['t1']);
      expect(await store.getKey('aio_alice')).toMatchObject({ held: 8 });
    });

    it('admitted in the same step: counts the window as authorize does and answers with key and window', async () => {
      // The key's name and policy (what a submit reads of it); its figures may be read before or after the hold.
      const key = { key: 'aio_alice', rateLimit: LIMIT };
      expect(await create({ authorize: T0, idempotency: IDEM })).toMatchObject({
        kind: 'created',
        admitted: { key, window: { count: 1, resetAt: T0 + 60_000 } },
      });
      // A replay is counted too.
      const again = await store.createTask({ task: makeTask({ id: 't2' }), at: T0, idempotency: IDEM, authorize: T0 });
      expect(again).toMatchObject({
        kind: 'duplicate',
        record: { fingerprint: 'fp-1', taskId: 't1', createdAt: T0 },
        admitted: { key, window: { count: 2, resetAt: T0 + 60_000 } },
      });
      const short = await store.createTask({ task: makeTask({ id: 't3', held: 13 }), at: T0, authorize: T0 + 1 });
      expect(short).toMatchObject({ kind: 'insufficient', available: 12, admitted: { key, window: { count: 3 } } });
      expect(await store.rateWindows()).toEqual({ aio_alice: { count: 3, resetAt: T0 + 60_000 } });
      expect((await store.listTasks({})).map((t) => t.id)).toEqual(['t1']);
    });

    it('admitted in the same step: an unknown key counts nothing, a request over the limit writes nothing else', async () => {
      expect(await create({ task: makeTask({ id: 't1', key: 'aio_nobody' }), authorize: T0 })).toEqual({
        kind: 'unknown_key',
      });
      expect(await store.rateWindows()).toEqual({});
      await store.createKey('aio_alice', 20, SECRET, { requests: 1, window_s: 10 }, T0);
      await store.authorize('aio_alice', T0);
      const limited = await create({
        idempotency: IDEM,
        firstStep: { job: firstStep('t1'), leasedUntil: T0 },
        authorize: T0,
      });
      expect(limited).toMatchObject({
        kind: 'limited',
        admitted: { key: { key: 'aio_alice', rateLimit: { requests: 1, window_s: 10 } }, window: { count: 2 } },
      });
      expect(await store.listTasks({})).toEqual([]);
      expect(await store.getKey('aio_alice')).toMatchObject({ credits: 20, held: 0 });
      expect(await store.pendingJobs()).toBe(0);
      expect(await store.idempotencyClaims()).toEqual({});
      expect(await store.resolveCreate('t1')).toBe(false);
      // The window moves on as authorize's does: the next one admits again.
      expect(await create({ task: makeTask({ id: 't2' }), authorize: T0 + 10_000 })).toMatchObject({
        kind: 'created',
        admitted: { window: { count: 1, resetAt: T0 + 20_000 } },
      });
    });

    it('a create resolved as never made is refused if it arrives late, and so is one past its deadline', async () => {
      expect(await store.resolveCreate('t1')).toBe(false);
      expect(await create({ idempotency: IDEM, firstStep: { job: firstStep('t1'), leasedUntil: T0 } })).toEqual({
        kind: 'refused',
      });
      expect(await create({ task: makeTask({ id: 't3' }), deadline: Date.now() - 1000 })).toEqual({ kind: 'refused' });
      await expectNothing();
      expect(await store.resolveCreate('t1')).toBe(false);
    });

    it('stuckTasks names unfinished tasks with no pending step, fixtures and finished ones aside', async () => {
      await create({ firstStep: { job: firstStep('t1'), leasedUntil: T0 } });
      await store.createTask({ task: makeTask({ id: 't2' }), at: T0 });
      await store.putTask(makeTask({ id: 't3', fixture: true, held: 0 }));
      await store.putTask(makeTask({ id: 't4', status: 'COMPLETED', held: 0 }));
      expect(await store.stuckTasks(10)).toEqual(['t2']);
      // A step scheduled for it (and one completed) moves it out and back.
      await store.scheduleJob(firstStep('t2', 'poll-t2'));
      expect(await store.stuckTasks(10)).toEqual([]);
      await store.completeJob('poll-t2');
      await store.completeJob('job-t1');
      expect((await store.stuckTasks(10)).sort()).toEqual(['t1', 't2']);
    });

    // Redis nets the usual hand-over (one new successor of the same task) inside completeJob:
    // every shape of successor must leave the same count of pending steps.
    it('a task stays unstuck through a chain of steps until its last pending step completes', async () => {
      await create({ firstStep: { job: firstStep('t1', 's1'), leasedUntil: T0 } });
      await store.completeJob('s1', [firstStep('t1', 's2')]);
      expect(await store.stuckTasks(10)).toEqual([]);
      // Two successors of the task, and one already stored (moved, not counted again).
      await store.scheduleJob(firstStep('t1', 's4'));
      await store.completeJob('s2', [firstStep('t1', 's3'), firstStep('t1', 's4')]);
      await store.completeJob('s4');
      expect(await store.stuckTasks(10)).toEqual([]);
      // A successor already stored as the first one: it counted once when it was scheduled.
      await store.scheduleJob(firstStep('t1', 's5'));
      await store.completeJob('s3', [firstStep('t1', 's5')]);
      expect(await store.stuckTasks(10)).toEqual([]);
      // A step that follows itself (re-stored under its own id) still counts.
      await store.completeJob('s5', [firstStep('t1', 's5')]);
      expect(await store.stuckTasks(10)).toEqual([]);
      expect(await store.pendingJobs()).toBe(1);
      await store.completeJob('s5');
      expect(await store.stuckTasks(10)).toEqual(['t1']);
    });

    it('orphanHolds names holds with no task; a lease is one owner’s at a time', async () => {
      await store.hold('aio_alice', 'ghost', 5, T0);
      await create();
      expect(await store.orphanHolds(10)).toEqual(['ghost']);
      expect(await store.lease('reconciler', 'a', 1000, T0)).toBe(true);
      expect(await store.lease('reconciler', 'b', 1000, T0 + 1)).toBe(false);
      expect(await store.lease('reconciler', 'a', 1000, T0 + 2)).toBe(true);
    });

    it('rateWindows reads every window without counting', async () => {
      await store.hitRateLimit('aio_alice', LIMIT, T0);
      await store.hitRateLimit('aio_alice', LIMIT, T0 + 1);
      expect(await store.rateWindows()).toEqual({ aio_alice: { count: 2, resetAt: T0 + 60_000 } });
      expect(await store.rateWindows()).toEqual({ aio_alice: { count: 2, resetAt: T0 + 60_000 } });
    });
  });
}
