import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { TaskRecord } from '../../src/gateway/task.js';
import { ledgerTotals } from '../../src/ledger/ledger.js';
import type { DeliveryAttempt, DeliveryRecord, RateLimitPolicy, ScheduledJob, Store } from '../../src/store/store.js';

const LIMIT: RateLimitPolicy = { requests: 100, window_s: 60 };
const SECRET = 'whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ=';
const T0 = 1_767_225_600_000;
/** A record's type with `readonly` taken off, to write to it on purpose. */
type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** A task record with every field set; `over` replaces some. */
export function makeTask(over: Partial<TaskRecord> = {}): TaskRecord {
  return {
    id: 'n47abcdefghijk_imagen4',
    key: 'aio_alice',
    model: 'imagen-4',
    subModel: 'imagen4',
    node: 'node47',
    provider: 'Google',
    status: 'IN_QUEUE',
    queuePosition: null,
    attempts: [],
    createdAt: T0,
    startedAt: null,
    completedAt: null,
    width: 1024,
    height: 1024,
    numImages: 1,
    imageSeed: 12345,
    imageToken: 'tok_contract_0123456789',
    error: null,
    held: 8,
    charged: 0,
    callbackUrl: null,
    ...over,
  };
}

/**
 * The behaviour every Store implementation must show, as one Vitest suite. `make` gives a fresh,
 * empty store for each test (a shared backend must be emptied by it); the suite closes it after.
 */
export function runStoreContract(name: string, make: () => Promise<Store>): void {
  describe(`Store contract: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await make();
    });
    afterEach(async () => {
      await store?.close();
    });

    /** The key's record agrees with the totals recomputed from its ledger. */
    async function expectLedgerMatches(key: string): Promise<void> {
      const rec = await store.getKey(key);
      expect(rec).toBeDefined();
      expect(ledgerTotals(await store.ledger(key))).toEqual({ balance: rec!.credits, held: rec!.held });
    }

    describe('keys', () => {
      it('createKey returns the record and writes a grant to the ledger', async () => {
        const rec = await store.createKey('aio_alice', 100, SECRET, LIMIT, T0);
        expect(rec).toEqual({ key: 'aio_alice', credits: 100, held: 0, webhookSecret: SECRET, rateLimit: LIMIT });
        expect(await store.getKey('aio_alice')).toEqual(rec);
        const entries = await store.ledger('aio_alice');
        expect(entries).toHaveLength(1);
        expect(entries[0]).toMatchObject({
          at: T0,
          key: 'aio_alice',
          kind: 'grant',
          amount: 100,
          task_id: null,
          balance: 100,
          held: 0,
        });
        await expectLedgerMatches('aio_alice');
      });

      it('a key with zero credits exists and can hold nothing', async () => {
        await store.createKey('aio_zero', 0, SECRET, LIMIT, T0);
        expect(await store.getKey('aio_zero')).toMatchObject({ credits: 0, held: 0 });
        expect(await store.hold('aio_zero', 't1', 1, T0)).toEqual({ ok: false, reason: 'insufficient', available: 0 });
      });

      it('getKey of an unknown key is undefined; listKeys lists every key', async () => {
        expect(await store.getKey('aio_nobody')).toBeUndefined();
        expect(await store.listKeys()).toEqual([]);
        await store.createKey('aio_alice', 1, SECRET, LIMIT, T0);
        await store.createKey('aio_bob', 2, SECRET, { requests: 5, window_s: 1 }, T0);
        const keys = await store.listKeys();
        expect(keys.map((k) => k.key).sort()).toEqual(['aio_alice', 'aio_bob']);
        expect(keys.find((k) => k.key === 'aio_bob')).toMatchObject({
          credits: 2,
          rateLimit: { requests: 5, window_s: 1 },
        });
      });

      it('records are copies: changing what went in or came out does not change the store', async () => {
        const policy = { requests: 10, window_s: 5 };
        const created = await store.createKey('aio_alice', 100, SECRET, policy, T0);
        policy.requests = 1;
        created.credits = 1;
        created.rateLimit.requests = 2;
        const got = await store.getKey('aio_alice');
        expect(got).toEqual({
          key: 'aio_alice',
          credits: 100,
          held: 0,
          webhookSecret: SECRET,
          rateLimit: { requests: 10, window_s: 5 },
        });
        got!.credits = 0;
        got!.held = 99;
        got!.webhookSecret = 'whsec_changed';
        got!.rateLimit.requests = 3;
        got!.rateLimit.window_s = 3;
        for (const listed of await store.listKeys()) {
          listed.credits = -1;
          listed.rateLimit.requests = 4;
        }
        const held = await store.hold('aio_alice', 't1', 10, T0);
        if (held.ok) {
          held.record.credits = 0;
          held.record.rateLimit.requests = 5;
        }
        const toppedUp = await store.topUp('aio_alice', 1, T0);
        toppedUp!.rateLimit.requests = 6;
        expect(await store.getKey('aio_alice')).toEqual({
          key: 'aio_alice',
          credits: 101,
          held: 10,
          webhookSecret: SECRET,
          rateLimit: { requests: 10, window_s: 5 },
        });
        const entries = await store.ledger('aio_alice');
        entries[0]!.amount = 1_000_000;
        expect((await store.ledger('aio_alice'))[0]!.amount).toBe(100);
      });

      it('topUp adds credits with a ledger entry; an unknown key gives undefined and changes nothing', async () => {
        await store.createKey('aio_alice', 100, SECRET, LIMIT, T0);
        const rec = await store.topUp('aio_alice', 25, T0 + 5);
        expect(rec).toMatchObject({ key: 'aio_alice', credits: 125, held: 0 });
        expect(await store.getKey('aio_alice')).toMatchObject({ credits: 125 });
        const entries = await store.ledger('aio_alice');
        expect(entries.at(-1)).toMatchObject({
          at: T0 + 5,
          kind: 'topup',
          amount: 25,
          task_id: null,
          balance: 125,
          held: 0,
        });
        const before = await store.ledger();
        expect(await store.topUp('aio_nobody', 5, T0)).toBeUndefined();
        expect(await store.ledger()).toEqual(before);
        await expectLedgerMatches('aio_alice');
      });
    });

    describe('holds and settlement', () => {
      beforeEach(async () => {
        await store.createKey('aio_alice', 100, SECRET, LIMIT, T0);
      });

      it('hold succeeds up to the available balance and fails with insufficient beyond it', async () => {
        const first = await store.hold('aio_alice', 't1', 60, T0 + 1);
        expect(first).toEqual({
          ok: true,
          record: expect.objectContaining({ key: 'aio_alice', credits: 100, held: 60 }),
        });
        expect(await store.hold('aio_alice', 't2', 41, T0 + 2)).toEqual({
          ok: false,
          reason: 'insufficient',
          available: 40,
        });
        expect(await store.getKey('aio_alice')).toMatchObject({ credits: 100, held: 60 });
        const exact = await store.hold('aio_alice', 't3', 40, T0 + 3);
        expect(exact.ok).toBe(true);
        expect(await store.hold('aio_alice', 't4', 1, T0 + 4)).toEqual({
          ok: false,
          reason: 'insufficient',
          available: 0,
        });
        expect(await store.getKey('aio_alice')).toMatchObject({ credits: 100, held: 100 });
        // Failed holds leave no trace in the ledger.
        const kinds = (await store.ledger('aio_alice')).map((e) => [e.kind, e.amount, e.task_id]);
        expect(kinds).toEqual([
          ['grant', 100, null],
          ['hold', 60, 't1'],
          ['hold', 40, 't3'],
        ]);
        await expectLedgerMatches('aio_alice');
      });

      it('hold on an unknown key fails with unknown_key', async () => {
        expect(await store.hold('aio_nobody', 't1', 1, T0)).toEqual({ ok: false, reason: 'unknown_key', available: 0 });
        expect(await store.ledger('aio_nobody')).toEqual([]);
        expect(await store.settle('t1', 'capture', T0)).toBe(false);
      });

      it('capture takes the hold from both balance and held', async () => {
        await store.hold('aio_alice', 't1', 30, T0);
        expect(await store.settle('t1', 'capture', T0 + 10)).toBe(true);
        expect(await store.getKey('aio_alice')).toMatchObject({ credits: 70, held: 0 });
        expect((await store.ledger('aio_alice')).at(-1)).toMatchObject({
          at: T0 + 10,
          kind: 'capture',
          amount: 30,
          task_id: 't1',
          balance: 70,
          held: 0,
        });
        await expectLedgerMatches('aio_alice');
      });

      it('release takes the hold from held only', async () => {
        await store.hold('aio_alice', 't1', 30, T0);
        await store.hold('aio_alice', 't2', 20, T0);
        expect(await store.settle('t1', 'release', T0 + 10)).toBe(true);
        expect(await store.getKey('aio_alice')).toMatchObject({ credits: 100, held: 20 });
        expect((await store.ledger('aio_alice')).at(-1)).toMatchObject({
          kind: 'release',
          amount: 30,
          task_id: 't1',
          balance: 100,
          held: 20,
        });
        // Released credits can be held again.
        expect((await store.hold('aio_alice', 't3', 80, T0 + 11)).ok).toBe(true);
        await expectLedgerMatches('aio_alice');
      });

      it('settling twice, or settling a task that holds nothing, returns false and changes nothing', async () => {
        await store.hold('aio_alice', 't1', 30, T0);
        expect(await store.settle('t1', 'capture', T0 + 1)).toBe(true);
        const after = await store.ledger();
        expect(await store.settle('t1', 'capture', T0 + 2)).toBe(false);
        expect(await store.settle('t1', 'release', T0 + 2)).toBe(false);
        expect(await store.settle('never-held', 'release', T0 + 2)).toBe(false);
        expect(await store.ledger()).toEqual(after);
        expect(await store.getKey('aio_alice')).toMatchObject({ credits: 70, held: 0 });
      });

      it('200 concurrent holds against a balance that covers 50 of them: exactly 50 succeed', async () => {
        await store.createKey('aio_race', 50 * 7, SECRET, LIMIT, T0);
        const results = await Promise.all(
          Array.from({ length: 200 }, (_, i) => store.hold('aio_race', `race-${i}`, 7, T0 + i)),
        );
        const ok = results.filter((r) => r.ok);
        expect(ok).toHaveLength(50);
        for (const r of results) if (!r.ok) expect(r.reason).toBe('insufficient');
        expect(await store.getKey('aio_race')).toMatchObject({ credits: 350, held: 350 });
        expect((await store.ledger('aio_race')).filter((e) => e.kind === 'hold')).toHaveLength(50);
        await expectLedgerMatches('aio_race');
        // Concurrent settlement of all of them, each twice: each hold settles exactly once.
        const ids = results
          .map((r, i) => (r.ok ? `race-${i}` : undefined))
          .filter((id): id is string => id !== undefined);
        const settled = await Promise.all(
          [...ids, ...ids].map((id, i) => store.settle(id, i % 2 === 0 ? 'capture' : 'release', T0 + 1000)),
        );
        expect(settled.filter(Boolean)).toHaveLength(50);
        const rec = await store.getKey('aio_race');
        expect(rec!.held).toBe(0);
        expect(rec!.credits).toBeGreaterThanOrEqual(0);
        await expectLedgerMatches('aio_race');
      });
    });

    describe('finishTask', () => {
      it('finishes a task once: settles and stores it for the first caller, refuses every later one', async () => {
        await store.createKey('aio_alice', 100, SECRET, LIMIT, T0);
        await store.hold('aio_alice', 't1', 10, T0);
        await store.putTask(makeTask({ id: 't1', key: 'aio_alice', status: 'IN_PROGRESS', held: 10 }));
        const done = makeTask({ id: 't1', key: 'aio_alice', status: 'COMPLETED', held: 0, charged: 10 });
        const racing = await Promise.all([
          store.finishTask(done, 'capture', T0 + 1),
          store.finishTask({ ...done, status: 'FAILED', charged: 0 }, 'release', T0 + 1),
        ]);
        expect(racing.filter(Boolean)).toHaveLength(1);
        const stored = await store.getTask('t1');
        expect(stored?.status).toBe(racing[0] ? 'COMPLETED' : 'FAILED');
        expect(await store.listTasks({ status: stored!.status })).toHaveLength(1);
        expect(await store.listTasks({ status: 'IN_PROGRESS' })).toEqual([]);
        const settled = (await store.ledger('aio_alice')).filter((e) => e.kind === 'capture' || e.kind === 'release');
        expect(settled).toHaveLength(1);
        expect(await store.getKey('aio_alice')).toMatchObject({ held: 0, credits: racing[0] ? 90 : 100 });
        expect(await store.finishTask(done, 'capture', T0 + 2)).toBe(false);
        await expectLedgerMatches('aio_alice');
      });

      it('a late putTask of an ended task leaves its end, so it cannot be finished again', async () => {
        await store.createKey('aio_late', 100, SECRET, LIMIT, T0);
        await store.hold('aio_late', 't9', 10, T0);
        const running = makeTask({ id: 't9', key: 'aio_late', status: 'IN_PROGRESS', held: 10 });
        await store.putTask(running);
        const done = makeTask({ id: 't9', key: 'aio_late', status: 'COMPLETED', held: 0, charged: 10 });
        expect(await store.finishTask(done, 'capture', T0 + 1)).toBe(true);
        // An instance that ran a step twice (its lease ran out in a stall) writes its older view.
        await store.putTask({ ...running, queuePosition: 3 });
        expect(await store.getTask('t9')).toEqual(done);
        expect(await store.listTasks({ status: 'IN_PROGRESS' })).toEqual([]);
        expect(await store.finishTask({ ...done, status: 'FAILED', charged: 0 }, 'release', T0 + 2)).toBe(false);
        expect(await store.getKey('aio_late')).toMatchObject({ held: 0, credits: 90 });
        await expectLedgerMatches('aio_late');
      });

      it("stores the winner's delivery and its first step with the finish, and no loser's", async () => {
        await store.putTask(makeTask({ id: 't3', status: 'IN_PROGRESS' }));
        const done = makeTask({ id: 't3', status: 'COMPLETED' });
        const delivery = (id: string) => ({
          record: {
            id,
            task_id: 't3',
            key: done.key,
            url: 'http://127.0.0.1:1/hook',
            body: '{"code":200}',
            state: 'pending' as const,
            attempts: [],
            next_attempt_at: T0 + 5,
            created_at: T0,
          },
          firstStep: {
            id: `job_${id}`,
            due: T0 + 5,
            kind: 'webhook.attempt',
            payload: JSON.stringify({ deliveryId: id }),
          },
        });
        const racing = await Promise.all([
          store.finishTask(done, 'release', T0, delivery('msg_a')),
          store.finishTask(done, 'release', T0, delivery('msg_b')),
        ]);
        expect(racing.filter(Boolean)).toHaveLength(1);
        const won = racing[0] ? 'msg_a' : 'msg_b';
        expect(await store.listDeliveries('t3')).toEqual([delivery(won).record]);
        expect(await store.claimDueJobs(T0 + 4, 10, 1000)).toEqual([]);
        expect(await store.claimDueJobs(T0 + 5, 10, 1000)).toEqual([delivery(won).firstStep]);
      });

      it('finishes a task that holds nothing (a fixture, or a hold already settled) without a ledger entry', async () => {
        await store.putTask(makeTask({ id: 't2', status: 'IN_QUEUE' }));
        expect(await store.finishTask(makeTask({ id: 't2', status: 'FAILED' }), 'release', T0)).toBe(true);
        expect((await store.getTask('t2'))?.status).toBe('FAILED');
        expect(await store.ledger()).toEqual([]);
      });
    });

    describe('ledger', () => {
      it('filters by key, numbers entries in increasing seq, and its totals equal each key record', async () => {
        await store.createKey('aio_alice', 100, SECRET, LIMIT, T0);
        await store.createKey('aio_bob', 50, SECRET, LIMIT, T0 + 1);
        await store.hold('aio_alice', 'a1', 10, T0 + 2);
        await store.hold('aio_bob', 'b1', 20, T0 + 3);
        await store.hold('aio_alice', 'a2', 15, T0 + 4);
        await store.settle('a1', 'capture', T0 + 5);
        await store.topUp('aio_bob', 5, T0 + 6);
        await store.settle('b1', 'release', T0 + 7);
        await store.hold('aio_bob', 'b2', 55, T0 + 8);

        const all = await store.ledger();
        expect(all).toHaveLength(9);
        for (let i = 1; i < all.length; i++) expect(all[i]!.seq).toBeGreaterThan(all[i - 1]!.seq);
        expect(all.map((e) => e.at)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8].map((d) => T0 + d));

        const alice = await store.ledger('aio_alice');
        const bob = await store.ledger('aio_bob');
        expect(alice.every((e) => e.key === 'aio_alice')).toBe(true);
        expect(bob.every((e) => e.key === 'aio_bob')).toBe(true);
        expect(alice.length + bob.length).toBe(all.length);
        for (const list of [alice, bob])
          for (let i = 1; i < list.length; i++) expect(list[i]!.seq).toBeGreaterThan(list[i - 1]!.seq);
        expect(alice.map((e) => e.kind)).toEqual(['grant', 'hold', 'hold', 'capture']);
        expect(bob.map((e) => e.kind)).toEqual(['grant', 'hold', 'topup', 'release', 'hold']);

        expect(ledgerTotals(alice)).toEqual({ balance: 90, held: 15 });
        expect(ledgerTotals(bob)).toEqual({ balance: 55, held: 55 });
        await expectLedgerMatches('aio_alice');
        await expectLedgerMatches('aio_bob');
        // Each entry's balance and held are the key's figures right after it.
        expect(alice.at(-1)).toMatchObject({ balance: 90, held: 15 });
        expect(bob.at(-1)).toMatchObject({ balance: 55, held: 55 });
        expect(await store.ledger('aio_nobody')).toEqual([]);
      });
    });

    describe('tasks', () => {
      it('putTask then getTask round-trips; putTask replaces; unknown ids are undefined', async () => {
        const task = makeTask({ error: null });
        await store.putTask(task);
        expect(await store.getTask(task.id)).toEqual(task);
        const done = makeTask({
          status: 'FAILED',
          attempts: [
            { node: 'node47', provider: 'Google', at: T0 + 1, outcome: 'refused', detail: 'connection refused' },
            { node: 'node41', provider: 'Google', at: T0 + 50, outcome: 'accepted', detail: null },
          ],
          startedAt: T0 + 100,
          completedAt: T0 + 200,
          error: { code: 'provider_error', message: 'The provider failed' },
          held: 0,
        });
        await store.putTask(done);
        expect(await store.getTask(task.id)).toEqual(done);
        expect(await store.getTask('n47missing_imagen4')).toBeUndefined();
      });

      it('a stored task record never changes: a write to one put or got throws or misses the store', async () => {
        // Task records are immutable values (the gateway replaces them, never edits them). A store may
        // hand back the very object it was given (memory, frozen) or a copy (Redis); either way a
        // write to a record, or to its error or attempts, must not reach what the store holds.
        const attempt = { node: 'node47', provider: 'Google', at: T0, outcome: 'accepted' as const, detail: null };
        const task = makeTask({
          status: 'FAILED',
          error: { code: 'provider_error', message: 'failed' },
          attempts: [attempt],
        });
        const stored = structuredClone(task);
        await store.putTask(task);
        const writes = (t: TaskRecord | undefined): Array<() => void> => {
          const m = t as Mutable<TaskRecord>;
          const error = m.error as Mutable<NonNullable<TaskRecord['error']>>;
          const attempts = m.attempts as Array<Mutable<TaskRecord['attempts'][number]>>;
          return [
            () => (m.status = 'COMPLETED'),
            () => (error.code = 'node_lost'),
            () => (attempts[0]!.node = 'changed'),
            () => attempts.push({ ...attempt }),
            () => (attempts.length = 0),
          ];
        };
        const attemptAll = (t: TaskRecord | undefined) => {
          for (const write of writes(t)) {
            try {
              write();
            } catch (e) {
              expect(e).toBeInstanceOf(TypeError); // a frozen record refuses the write
            }
          }
        };
        attemptAll(task);
        attemptAll(await store.getTask(stored.id));
        attemptAll((await store.listTasks({}))[0]);
        attemptAll((await store.pageTasks({}, 10))?.tasks[0]);
        expect(await store.getTask(stored.id)).toEqual(stored);
      });

      it('listTasks filters by status, model and key, alone and together', async () => {
        const tasks = [
          makeTask({ id: 't1', key: 'aio_alice', model: 'imagen-4', status: 'IN_QUEUE' }),
          makeTask({ id: 't2', key: 'aio_alice', model: 'cogview-4', status: 'COMPLETED' }),
          makeTask({ id: 't3', key: 'aio_bob', model: 'imagen-4', status: 'COMPLETED' }),
          makeTask({ id: 't4', key: 'aio_bob', model: 'seedream', status: 'FAILED' }),
          makeTask({ id: 't5', key: 'aio_alice', model: 'imagen-4', status: 'IN_PROGRESS' }),
        ];
        for (const t of tasks) await store.putTask(t);
        const ids = async (filter: Parameters<Store['listTasks']>[0]) =>
          (await store.listTasks(filter)).map((t) => t.id).sort();
        expect(await ids({})).toEqual(['t1', 't2', 't3', 't4', 't5']);
        expect(await ids({ status: 'COMPLETED' })).toEqual(['t2', 't3']);
        expect(await ids({ status: 'FAILED' })).toEqual(['t4']);
        expect(await ids({ model: 'imagen-4' })).toEqual(['t1', 't3', 't5']);
        expect(await ids({ key: 'aio_alice' })).toEqual(['t1', 't2', 't5']);
        expect(await ids({ key: 'aio_alice', model: 'imagen-4' })).toEqual(['t1', 't5']);
        expect(await ids({ key: 'aio_bob', model: 'imagen-4', status: 'COMPLETED' })).toEqual(['t3']);
        expect(await ids({ key: 'aio_bob', status: 'IN_QUEUE' })).toEqual([]);
        expect(await ids({ model: 'nope' })).toEqual([]);
        // A status change moves a task between filters.
        await store.putTask({ ...tasks[0]!, status: 'COMPLETED' });
        expect(await ids({ status: 'COMPLETED' })).toEqual(['t1', 't2', 't3']);
        expect(await ids({ status: 'IN_QUEUE' })).toEqual([]);
        expect((await store.listTasks({ status: 'COMPLETED', key: 'aio_alice', model: 'cogview-4' }))[0]).toEqual(
          tasks[1],
        );
      });

      it('pageTasks walks the newest first, page by page, with the filter and its total; a bad cursor is undefined', async () => {
        for (let i = 1; i <= 7; i++)
          await store.putTask(makeTask({ id: `t${i}`, createdAt: T0 + i, key: i % 2 ? 'aio_alice' : 'aio_bob' }));
        // Replacing a task does not move it.
        await store.putTask(makeTask({ id: 't2', createdAt: T0 + 2, key: 'aio_bob', status: 'COMPLETED' }));
        const walk = async (filter: Parameters<Store['pageTasks']>[0], limit: number) => {
          const pages: string[][] = [];
          let cursor: string | undefined;
          for (let n = 0; n < 10; n++) {
            const page = await store.pageTasks(filter, limit, cursor);
            expect(page).toBeDefined();
            pages.push(page!.tasks.map((t) => t.id));
            if (page!.next === null) return { pages, total: page!.total };
            cursor = page!.next;
          }
          throw new Error('more than 10 pages');
        };
        expect(await walk({}, 3)).toEqual({ pages: [['t7', 't6', 't5'], ['t4', 't3', 't2'], ['t1']], total: 7 });
        expect(await walk({ key: 'aio_bob' }, 2)).toEqual({ pages: [['t6', 't4'], ['t2']], total: 3 });
        expect(await walk({ status: 'COMPLETED' }, 5)).toEqual({ pages: [['t2']], total: 1 });
        expect(await walk({ model: 'nope' }, 5)).toEqual({ pages: [[]], total: 0 });
        expect((await store.pageTasks({}, 1))!.tasks[0]).toEqual(
          makeTask({ id: 't7', createdAt: T0 + 7, key: 'aio_alice' }),
        );
        expect(await store.pageTasks({}, 3, 'not-a-cursor')).toBeUndefined();
        expect(await store.pageTasks({}, 3, '99999')).toBeUndefined();
      });
    });

    describe('idempotency', () => {
      const TTL = 24 * 3600 * 1000;

      it('claim gives undefined to the first caller, then the record; bind sets its task id', async () => {
        expect(await store.claimIdempotency('aio_alice\nk1', 'fp1', T0, TTL)).toBeUndefined();
        expect(await store.claimIdempotency('aio_alice\nk1', 'fp2', T0 + 1, TTL)).toEqual({
          fingerprint: 'fp1',
          taskId: null,
          createdAt: T0,
        });
        // Another scope is independent.
        expect(await store.claimIdempotency('aio_bob\nk1', 'fp1', T0, TTL)).toBeUndefined();
        await store.bindIdempotency('aio_alice\nk1', 'task-1');
        expect(await store.claimIdempotency('aio_alice\nk1', 'fp1', T0 + 2, TTL)).toEqual({
          fingerprint: 'fp1',
          taskId: 'task-1',
          createdAt: T0,
        });
        expect(await store.claimIdempotency('aio_bob\nk1', 'fp1', T0 + 2, TTL)).toEqual({
          fingerprint: 'fp1',
          taskId: null,
          createdAt: T0,
        });
      });

      it('a claim bound to no task expires after the pending ttl; a bound one does not', async () => {
        const PENDING = 30_000;
        await store.claimIdempotency('lost', 'fp1', T0, TTL, PENDING);
        await store.claimIdempotency('kept', 'fp1', T0, TTL, PENDING);
        await store.bindIdempotency('kept', 'task-k');
        expect(await store.claimIdempotency('lost', 'fp2', T0 + PENDING - 1, TTL, PENDING)).toEqual({
          fingerprint: 'fp1',
          taskId: null,
          createdAt: T0,
        });
        expect(await store.claimIdempotency('lost', 'fp2', T0 + PENDING, TTL, PENDING)).toBeUndefined();
        expect(await store.claimIdempotency('kept', 'fp2', T0 + PENDING, TTL, PENDING)).toEqual({
          fingerprint: 'fp1',
          taskId: 'task-k',
          createdAt: T0,
        });
      });

      it('drop frees a claim, so the next claim wins', async () => {
        await store.claimIdempotency('s', 'fp1', T0, TTL);
        await store.dropIdempotency('s');
        expect(await store.claimIdempotency('s', 'fp2', T0 + 1, TTL)).toBeUndefined();
        expect(await store.claimIdempotency('s', 'fp3', T0 + 2, TTL)).toEqual({
          fingerprint: 'fp2',
          taskId: null,
          createdAt: T0 + 1,
        });
        // Dropping or binding an unclaimed scope is harmless.
        await store.dropIdempotency('never-claimed');
        await store.bindIdempotency('never-claimed', 'task-x');
        expect(await store.claimIdempotency('never-claimed', 'fp', T0, TTL)).toBeUndefined();
      });

      it('a claim older than the ttl expires and can be claimed again', async () => {
        await store.claimIdempotency('s', 'fp1', T0, 1000);
        await store.bindIdempotency('s', 'task-1');
        expect(await store.claimIdempotency('s', 'fp2', T0 + 999, 1000)).toEqual({
          fingerprint: 'fp1',
          taskId: 'task-1',
          createdAt: T0,
        });
        expect(await store.claimIdempotency('s', 'fp2', T0 + 1001, 1000)).toBeUndefined();
        expect(await store.claimIdempotency('s', 'fp3', T0 + 1002, 1000)).toEqual({
          fingerprint: 'fp2',
          taskId: null,
          createdAt: T0 + 1001,
        });
      });

      it('concurrent claims of one scope: exactly one wins', async () => {
        const results = await Promise.all(
          Array.from({ length: 50 }, (_, i) => store.claimIdempotency('race', `fp${i}`, T0, TTL)),
        );
        expect(results.filter((r) => r === undefined)).toHaveLength(1);
        const winner = `fp${results.indexOf(undefined)}`;
        for (const r of results) if (r) expect(r.fingerprint).toBe(winner);
      });
    });

    describe('rate limits', () => {
      it('counts hits within a window and starts a new window after window_s', async () => {
        const policy = { requests: 3, window_s: 10 };
        expect(await store.hitRateLimit('aio_alice', policy, T0)).toEqual({ count: 1, resetAt: T0 + 10_000 });
        expect(await store.hitRateLimit('aio_alice', policy, T0 + 1000)).toEqual({ count: 2, resetAt: T0 + 10_000 });
        expect(await store.hitRateLimit('aio_alice', policy, T0 + 9999)).toEqual({ count: 3, resetAt: T0 + 10_000 });
        // Counting goes on past the limit: the caller decides what over the limit means.
        expect(await store.hitRateLimit('aio_alice', policy, T0 + 9999)).toEqual({ count: 4, resetAt: T0 + 10_000 });
        // Other keys have their own windows.
        expect(await store.hitRateLimit('aio_bob', policy, T0 + 5000)).toEqual({ count: 1, resetAt: T0 + 15_000 });
        expect(await store.hitRateLimit('aio_alice', policy, T0 + 10_000)).toEqual({ count: 1, resetAt: T0 + 20_000 });
        expect(await store.hitRateLimit('aio_alice', policy, T0 + 25_000)).toEqual({ count: 1, resetAt: T0 + 35_000 });
      });

      it('concurrent hits are all counted', async () => {
        const policy = { requests: 1000, window_s: 60 };
        const windows = await Promise.all(
          Array.from({ length: 100 }, () => store.hitRateLimit('aio_alice', policy, T0)),
        );
        expect(windows.map((w) => w.count).sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
      });
    });

    describe('authorize', () => {
      it('gives the key as getKey reads it and counts the request under the key’s own policy', async () => {
        await store.createKey('aio_alice', 50, SECRET, { requests: 2, window_s: 10 }, T0);
        const first = await store.authorize('aio_alice', T0);
        expect(first).toEqual({ key: await store.getKey('aio_alice'), window: { count: 1, resetAt: T0 + 10_000 } });
        expect((await store.authorize('aio_alice', T0 + 9999))?.window).toEqual({ count: 2, resetAt: T0 + 10_000 });
        // It counts in the same window hitRateLimit does, and goes on past the limit.
        expect(await store.hitRateLimit('aio_alice', { requests: 2, window_s: 10 }, T0 + 9999)).toEqual({
          count: 3,
          resetAt: T0 + 10_000,
        });
        expect((await store.authorize('aio_alice', T0 + 9999))?.window.count).toBe(4);
        expect((await store.authorize('aio_alice', T0 + 10_000))?.window).toEqual({ count: 1, resetAt: T0 + 20_000 });
        expect(await store.rateWindows()).toEqual({ aio_alice: { count: 1, resetAt: T0 + 20_000 } });
      });

      it('follows a key’s current record: a top-up and a new policy show at once', async () => {
        await store.createKey('aio_alice', 50, SECRET, { requests: 2, window_s: 10 }, T0);
        await store.topUp('aio_alice', 25, T0);
        await store.hold('aio_alice', 'task_1', 5, T0);
        expect((await store.authorize('aio_alice', T0))?.key).toMatchObject({ credits: 75, held: 5 });
        await store.createKey('aio_bob', 1, SECRET, { requests: 100, window_s: 0.5 }, T0);
        expect(await store.authorize('aio_bob', T0)).toEqual({
          key: {
            key: 'aio_bob',
            credits: 1,
            held: 0,
            webhookSecret: SECRET,
            rateLimit: { requests: 100, window_s: 0.5 },
          },
          window: { count: 1, resetAt: T0 + 500 },
        });
      });

      it('an unknown key gives undefined and counts nothing', async () => {
        expect(await store.authorize('aio_nobody', T0)).toBeUndefined();
        expect(await store.rateWindows()).toEqual({});
        expect(await store.listKeys()).toEqual([]);
      });

      it('concurrent requests are all counted', async () => {
        await store.createKey('aio_alice', 50, SECRET, { requests: 1000, window_s: 60 }, T0);
        const all = await Promise.all(Array.from({ length: 100 }, () => store.authorize('aio_alice', T0)));
        expect(all.map((a) => a?.window.count).sort((a = 0, b = 0) => a - b)).toEqual(
          Array.from({ length: 100 }, (_, i) => i + 1),
        );
      });
    });

    describe('webhook deliveries', () => {
      const delivery = (over: Partial<DeliveryRecord> = {}): DeliveryRecord => ({
        id: 'msg_1',
        task_id: 't1',
        key: 'aio_alice',
        url: 'https://hooks.example.com/in',
        body: '{"type":"task.completed","data":{"task_id":"t1"}}',
        state: 'pending',
        attempts: [],
        next_attempt_at: T0 + 1000,
        created_at: T0,
        ...over,
      });
      const attempt = (n: number): DeliveryAttempt => ({
        n,
        at: T0 + n,
        status: 500,
        latency_ms: 12,
        response_excerpt: 'oops',
        error: null,
        duplicate: false,
      });

      it('putDelivery then getDelivery round-trips; putDelivery replaces; unknown ids are undefined', async () => {
        const d = delivery();
        await store.putDelivery(d);
        expect(await store.getDelivery('msg_1')).toEqual(d);
        const done = delivery({
          state: 'delivered',
          attempts: [attempt(1), { ...attempt(2), status: 204, response_excerpt: null }],
          next_attempt_at: null,
        });
        await store.putDelivery(done);
        expect(await store.getDelivery('msg_1')).toEqual(done);
        expect(await store.getDelivery('msg_nope')).toBeUndefined();
      });

      it('delivery records are copies, attempts included', async () => {
        const d = delivery({ attempts: [attempt(1)] });
        const stored = structuredClone(d);
        await store.putDelivery(d);
        d.state = 'failed';
        d.attempts[0]!.status = 200;
        d.attempts.push(attempt(2));
        const got = await store.getDelivery('msg_1');
        expect(got).toEqual(stored);
        got!.attempts[0]!.error = 'changed-after-get';
        got!.attempts.length = 0;
        const [listed] = await store.listDeliveries();
        listed!.attempts[0]!.n = 99;
        listed!.body = 'changed-after-list';
        expect(await store.getDelivery('msg_1')).toEqual(stored);
      });

      it('listDeliveries lists all, or one task’s, in creation order; a replaced delivery keeps its place', async () => {
        await store.putDelivery(delivery({ id: 'msg_b', task_id: 't1', created_at: T0 }));
        await store.putDelivery(delivery({ id: 'msg_a', task_id: 't2', created_at: T0 + 1 }));
        await store.putDelivery(delivery({ id: 'msg_c', task_id: 't1', created_at: T0 + 2 }));
        await store.putDelivery(delivery({ id: 'msg_b', task_id: 't1', created_at: T0, state: 'delivered' }));
        expect((await store.listDeliveries()).map((d) => d.id)).toEqual(['msg_b', 'msg_a', 'msg_c']);
        expect((await store.listDeliveries('t1')).map((d) => [d.id, d.state])).toEqual([
          ['msg_b', 'delivered'],
          ['msg_c', 'pending'],
        ]);
        expect((await store.listDeliveries('t2')).map((d) => d.id)).toEqual(['msg_a']);
        expect(await store.listDeliveries('t-none')).toEqual([]);
      });
    });

    describe('scheduled jobs', () => {
      const job = (id: string, due: number, over: Partial<ScheduledJob> = {}): ScheduledJob => ({
        id,
        due,
        kind: 'poll',
        payload: JSON.stringify({ task: id, n: 1 }),
        ...over,
      });
      const ids = (jobs: ScheduledJob[]) => jobs.map((j) => j.id);

      it('claims only jobs due by now, in (due, id) order, up to the limit, each with its exact fields', async () => {
        const jobs = [
          job('j3', T0 + 10),
          job('j1', T0 + 20),
          job('j2', T0 + 10, { kind: 'webhook', payload: '{"url":"https://x/é","a":[1,2.5]}' }),
          job('j4', T0 + 100),
        ];
        for (const j of jobs) await store.scheduleJob(j);
        expect(await store.pendingJobs()).toBe(4);
        expect(await store.claimDueJobs(T0 + 9, 10, 1000)).toEqual([]);
        expect(await store.claimDueJobs(T0 + 20, 0, 1000)).toEqual([]);
        const first = await store.claimDueJobs(T0 + 20, 2, 1000);
        expect(first).toEqual([jobs[2], jobs[0]]);
        // Due at exactly now counts.
        expect(await store.claimDueJobs(T0 + 20, 10, 1000)).toEqual([jobs[1]]);
        expect(await store.claimDueJobs(T0 + 50, 10, 1000)).toEqual([]);
        // Leased jobs are still pending until completed.
        expect(await store.pendingJobs()).toBe(4);
        for (const j of first) await store.completeJob(j.id);
        expect(await store.pendingJobs()).toBe(2);
        expect(ids(await store.claimDueJobs(T0 + 100, 10, 1000))).toEqual(['j4']);
        await store.completeJob('j1');
        await store.completeJob('j4');
        await store.completeJob('never-scheduled');
        expect(await store.pendingJobs()).toBe(0);
      });

      it('a lease that expires without completeJob makes the job claimable again; a completed one never comes back', async () => {
        await store.scheduleJob(job('a', T0));
        await store.scheduleJob(job('b', T0));
        expect(ids(await store.claimDueJobs(T0, 10, 1000))).toEqual(['a', 'b']);
        await store.completeJob('b');
        expect(await store.claimDueJobs(T0 + 999, 10, 1000)).toEqual([]);
        // Expired at exactly now + leaseMs: claimable, and leased anew from then.
        expect(await store.claimDueJobs(T0 + 1000, 10, 500)).toEqual([job('a', T0)]);
        expect(await store.claimDueJobs(T0 + 1499, 10, 500)).toEqual([]);
        expect(ids(await store.claimDueJobs(T0 + 1500, 10, 500))).toEqual(['a']);
        await store.completeJob('a');
        expect(await store.claimDueJobs(T0 + 10_000, 10, 500)).toEqual([]);
        expect(await store.pendingJobs()).toBe(0);
      });

      it('renewJobs extends a running lease (never shortens it) and leaves unleased or completed jobs alone', async () => {
        await store.scheduleJob(job('run', T0));
        await store.scheduleJob(job('wait', T0 + 50));
        await store.scheduleJob(job('done', T0));
        expect(ids(await store.claimDueJobs(T0, 10, 100))).toEqual(['done', 'run']);
        await store.completeJob('done');
        await store.renewJobs(['run', 'wait', 'done', 'never-scheduled'], T0 + 300);
        // 'run' is held to T0 + 300, not T0 + 100; 'wait' was never leased, so it is claimed at its due.
        expect(ids(await store.claimDueJobs(T0 + 100, 10, 100))).toEqual(['wait']);
        await store.completeJob('wait');
        expect(await store.claimDueJobs(T0 + 299, 10, 100)).toEqual([]);
        await store.renewJobs(['run'], T0 + 200); // earlier than held: no change
        expect(await store.claimDueJobs(T0 + 250, 10, 100)).toEqual([]);
        expect(ids(await store.claimDueJobs(T0 + 300, 10, 100))).toEqual(['run']);
        // 'done' stays completed; a renewal brought nothing back.
        expect(await store.pendingJobs()).toBe(1);
        await store.renewJobs([], T0 + 400);
      });

      it('expired leases and due jobs are claimed together in due order', async () => {
        await store.scheduleJob(job('late', T0 + 50));
        await store.scheduleJob(job('early', T0));
        expect(ids(await store.claimDueJobs(T0, 10, 100))).toEqual(['early']);
        // At T0 + 100 'early' is due again (lease expired) and 'late' is due: early first.
        expect(ids(await store.claimDueJobs(T0 + 100, 1, 100))).toEqual(['early']);
        expect(ids(await store.claimDueJobs(T0 + 100, 1, 100))).toEqual(['late']);
      });

      it('scheduleJob of an existing job moves it and clears its lease', async () => {
        await store.scheduleJob(job('j', T0));
        expect(ids(await store.claimDueJobs(T0, 10, 60_000))).toEqual(['j']);
        const moved = job('j', T0 + 500, { payload: '{"attempt":2}' });
        await store.scheduleJob(moved);
        expect(await store.pendingJobs()).toBe(1);
        expect(await store.claimDueJobs(T0 + 499, 10, 60_000)).toEqual([]);
        expect(await store.claimDueJobs(T0 + 500, 10, 60_000)).toEqual([moved]);
      });

      it('completeJob stores the next jobs with the completion; a group lists its unclaimed jobs and moveJobs moves only those still waiting where read', async () => {
        await store.scheduleJob(job('cur', T0));
        expect(ids(await store.claimDueJobs(T0, 10, 60_000))).toEqual(['cur']);
        const a = job('a', T0 + 900, { group: 'node47' });
        const b = job('b', T0 + 500, { group: 'node47' });
        await store.completeJob('cur', [a, b, job('other', T0 + 100, { group: 'node40' })]);
        expect(await store.pendingJobs()).toBe(3);
        expect(ids(await store.groupJobs('node47'))).toEqual(['b', 'a']);
        expect(await store.groupJobs('node46')).toEqual([]);
        // b is read at T0 + 500, then moved elsewhere: a move from T0 + 500 is stale and does nothing.
        await store.scheduleJob({ ...b, due: T0 + 600 });
        const moved = await store.moveJobs([
          { job: { ...a, due: T0 + 200, payload: '{"woken":true}' }, fromDue: T0 + 900 },
          { job: { ...b, due: T0 + 50 }, fromDue: T0 + 500 },
        ]);
        expect(moved).toBe(1);
        expect(await store.claimDueJobs(T0 + 200, 10, 60_000)).toEqual([
          job('other', T0 + 100, { group: 'node40' }),
          { ...a, due: T0 + 200, payload: '{"woken":true}' },
        ]);
        // Claimed jobs leave their group and cannot be moved.
        expect(ids(await store.groupJobs('node47'))).toEqual(['b']);
        expect(await store.moveJobs([{ job: { ...a, due: T0 }, fromDue: T0 + 200 }])).toBe(0);
        await store.completeJob('b');
        expect(await store.groupJobs('node47')).toEqual([]);
      });

      it("a job's task and group are its own, whatever they and its payload hold (quotes, backslashes, look-alike fields)", async () => {
        const taskId = 't"\\1';
        const group = 'g\\"47';
        await store.putTask(makeTask({ id: taskId, status: 'IN_QUEUE' }));
        const decoy = job('s1', T0 + 100, {
          taskId,
          group,
          payload: JSON.stringify({ group: 'decoy', taskId: 'decoy', note: 'taskId":"x group":"y' }),
        });
        await store.scheduleJob(decoy);
        expect(await store.groupJobs(group)).toEqual([decoy]);
        expect(await store.groupJobs('decoy')).toEqual([]);
        expect(await store.stuckTasks(10)).toEqual([]);
        await store.completeJob('s1', [job('s2', T0 + 200, { taskId, group: 'node47' })]);
        expect(await store.groupJobs(group)).toEqual([]);
        expect(ids(await store.groupJobs('node47'))).toEqual(['s2']);
        expect(await store.stuckTasks(10)).toEqual([]);
        await store.completeJob('s2');
        expect(await store.groupJobs('node47')).toEqual([]);
        expect(await store.stuckTasks(10)).toEqual([taskId]);
      });

      it("completeJob with a task stores the task's record with the completion (indexes too), never over an ended one", async () => {
        await store.putTask(makeTask({ id: 't1', status: 'IN_QUEUE' }));
        await store.scheduleJob(job('s1', T0));
        expect(ids(await store.claimDueJobs(T0, 10, 60_000))).toEqual(['s1']);
        const running = makeTask({ id: 't1', status: 'IN_PROGRESS', startedAt: T0 });
        await store.completeJob('s1', [job('s2', T0 + 100)], running);
        expect(await store.getTask('t1')).toEqual(running);
        expect((await store.listTasks({ status: 'IN_PROGRESS' })).map((t) => t.id)).toEqual(['t1']);
        expect(await store.listTasks({ status: 'IN_QUEUE' })).toEqual([]);
        expect(await store.pendingJobs()).toBe(1);
        // A task that ended meanwhile stays ended: the completion's record is dropped, the job still completes.
        const done = makeTask({ id: 't1', status: 'COMPLETED', startedAt: T0, completedAt: T0 + 50 });
        await store.putTask(done);
        expect(ids(await store.claimDueJobs(T0 + 100, 10, 60_000))).toEqual(['s2']);
        await store.completeJob('s2', [], running);
        expect(await store.getTask('t1')).toEqual(done);
        expect(await store.pendingJobs()).toBe(0);
      });

      it('job records are copies', async () => {
        const j = job('j', T0);
        await store.scheduleJob(j);
        j.payload = 'changed-after-schedule';
        j.due = T0 + 1_000_000;
        const [claimed] = await store.claimDueJobs(T0, 1, 10);
        expect(claimed).toEqual(job('j', T0));
        claimed!.payload = 'changed-after-claim';
        expect(await store.claimDueJobs(T0 + 10, 1, 10)).toEqual([job('j', T0)]);
      });

      it('concurrent claims hand each job to exactly one caller', async () => {
        for (let i = 0; i < 60; i++) await store.scheduleJob(job(`c${String(i).padStart(2, '0')}`, T0 + (i % 7)));
        const batches = await Promise.all(Array.from({ length: 20 }, () => store.claimDueJobs(T0 + 10, 4, 60_000)));
        const claimed = batches.flat().map((j) => j.id);
        expect(new Set(claimed).size).toBe(claimed.length);
        expect(claimed).toHaveLength(60);
        expect(await store.claimDueJobs(T0 + 10, 100, 60_000)).toEqual([]);
      });
    });

    describe('reset of deliveries and jobs', () => {
      it('forgets deliveries and scheduled jobs, leased or not', async () => {
        await store.putDelivery({
          id: 'msg_1',
          task_id: 't1',
          key: 'aio_alice',
          url: 'https://x',
          body: '{}',
          state: 'pending',
          attempts: [],
          next_attempt_at: null,
          created_at: T0,
        });
        await store.scheduleJob({ id: 'j1', due: T0, kind: 'poll', payload: '{}' });
        await store.scheduleJob({ id: 'j2', due: T0, kind: 'poll', payload: '{}' });
        await store.claimDueJobs(T0, 1, 1000);
        await store.reset();
        expect(await store.getDelivery('msg_1')).toBeUndefined();
        expect(await store.listDeliveries()).toEqual([]);
        expect(await store.listDeliveries('t1')).toEqual([]);
        expect(await store.pendingJobs()).toBe(0);
        expect(await store.claimDueJobs(T0 + 10_000, 10, 1000)).toEqual([]);
      });
    });

    describe('shared collections', () => {
      it('reads a collection only when its version moved; null deletes an entry', async () => {
        expect(await store.readShared('faults', 0)).toBeUndefined();
        await store.putShared('faults', 'f1', '{"a":1}');
        await store.putShared('faults', 'f2', '{"b":2}');
        const first = await store.readShared('faults', 0);
        expect(first).toEqual({ version: 2, entries: { f1: '{"a":1}', f2: '{"b":2}' } });
        expect(await store.readShared('faults', 2)).toBeUndefined();
        await store.putShared('faults', 'f1', null);
        expect(await store.readShared('faults', 2)).toEqual({ version: 3, entries: { f2: '{"b":2}' } });
        // Collections are independent.
        expect(await store.readShared('circuits', 0)).toBeUndefined();
        await store.reset();
        expect(await store.readShared('faults', 3)).toEqual({ version: 0, entries: {} });
      });
    });

    describe('generation', () => {
      it('reads the same marker until the store is wiped, then a new one', async () => {
        const first = await store.generation();
        expect(first).toMatch(/\S/);
        expect(await store.generation()).toBe(first);
        await store.reset();
        const second = await store.generation();
        expect(second).not.toBe(first);
        expect(await store.generation()).toBe(second);
      });
    });

    describe('reset', () => {
      it('forgets keys, ledger, holds, tasks, idempotency claims and rate windows', async () => {
        await store.createKey('aio_alice', 100, SECRET, LIMIT, T0);
        await store.hold('aio_alice', 't1', 10, T0);
        await store.putTask(makeTask({ id: 't1' }));
        await store.claimIdempotency('s', 'fp', T0, 1000);
        await store.hitRateLimit('aio_alice', { requests: 1, window_s: 60 }, T0);
        await store.reset();
        expect(await store.getKey('aio_alice')).toBeUndefined();
        expect(await store.listKeys()).toEqual([]);
        expect(await store.ledger()).toEqual([]);
        expect(await store.getTask('t1')).toBeUndefined();
        expect(await store.listTasks({})).toEqual([]);
        expect(await store.settle('t1', 'capture', T0)).toBe(false);
        expect(await store.claimIdempotency('s', 'fp2', T0 + 1, 1000)).toBeUndefined();
        expect(await store.hitRateLimit('aio_alice', { requests: 1, window_s: 60 }, T0 + 1)).toEqual({
          count: 1,
          resetAt: T0 + 60_001,
        });
        // Usable again afterwards, the ledger starting over.
        await store.createKey('aio_alice', 5, SECRET, LIMIT, T0 + 2);
        expect(await store.ledger()).toHaveLength(1);
        await expectLedgerMatches('aio_alice');
      });
    });
  });
}
