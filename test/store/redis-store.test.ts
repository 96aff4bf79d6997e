import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ledgerTotals } from '../../src/ledger/ledger.js';
import { StartupError } from '../../src/startup-error.js';
import { openStore } from '../../src/store/open-store.js';
import { RedisStore } from '../../src/store/redis-store.js';
import { StoreUnavailableError } from '../../src/store/store-errors.js';
import type { Store } from '../../src/store/store.js';
import { describeRedis, freePort, RedisServer } from '../helpers/redis-server.js';
import { makeTask, runStoreContract } from './store-contract.js';
import { runCreateTaskContract } from './create-task-contract.js';

const LIMIT = { requests: 100, window_s: 60 };
const SECRET = 'whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQ=';
const T0 = 1_767_225_600_000;

let counter = 0;
/** A prefix no other test uses, so tests share one server without seeing each other's keys. */
const freshPrefix = () => `gwsim-test:${process.pid}:${++counter}:`;

describeRedis('RedisStore (real redis-server)', () => {
  let server: RedisServer;
  const opened: Store[] = [];
  /** A connected store; closed after the test. */
  const connect = async (prefix: string, db = 0): Promise<RedisStore> => {
    const store = await RedisStore.connect(server.url(db), { prefix });
    opened.push(store);
    return store;
  };

  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterAll(async () => {
    await server?.stop();
  });
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((s) => s.close()));
  });

  runStoreContract('RedisStore', async () => RedisStore.connect(server.url(), { prefix: freshPrefix() }));
  runCreateTaskContract('RedisStore', async () => RedisStore.connect(server.url(), { prefix: freshPrefix() }));

  describe('Redis specifics', () => {
    it('openStore(redis://…) gives a connected RedisStore; memory stays the default', async () => {
      const store = await openStore(server.url(2), { prefix: freshPrefix() });
      opened.push(store);
      expect(store).toBeInstanceOf(RedisStore);
      await store.createKey('aio_alice', 5, SECRET, LIMIT, T0);
      expect(await store.getKey('aio_alice')).toMatchObject({ credits: 5 });
      const memory = await openStore('memory');
      expect(memory).not.toBeInstanceOf(RedisStore);
      await expect(openStore('postgres://x')).rejects.toBeInstanceOf(StartupError);
    });

    it('two connections with one prefix share state; another prefix or db sees none of it', async () => {
      const prefix = freshPrefix();
      const a = await connect(prefix);
      const b = await connect(prefix);
      await a.createKey('aio_alice', 100, SECRET, LIMIT, T0);
      expect((await b.hold('aio_alice', 't1', 40, T0 + 1)).ok).toBe(true);
      await a.putTask(makeTask({ id: 't1' }));
      expect(await b.getTask('t1')).toEqual(makeTask({ id: 't1' }));
      expect(await b.settle('t1', 'capture', T0 + 2)).toBe(true);
      expect(await a.settle('t1', 'capture', T0 + 3)).toBe(false);
      expect(await a.getKey('aio_alice')).toMatchObject({ credits: 60, held: 0 });
      expect((await a.ledger()).map((e) => e.kind)).toEqual(['grant', 'hold', 'capture']);
      expect(await b.claimIdempotency('s', 'fp', T0, 1000)).toBeUndefined();
      expect(await a.claimIdempotency('s', 'fp2', T0, 1000)).toMatchObject({ fingerprint: 'fp' });

      const other = await connect(freshPrefix());
      expect(await other.getKey('aio_alice')).toBeUndefined();
      const otherDb = await connect(prefix, 1);
      expect(await otherDb.getKey('aio_alice')).toBeUndefined();
    });

    it('reset deletes only keys under its own prefix', async () => {
      const a = await connect(freshPrefix());
      const b = await connect(freshPrefix());
      await a.createKey('aio_alice', 1, SECRET, LIMIT, T0);
      await b.createKey('aio_alice', 2, SECRET, LIMIT, T0);
      await a.reset();
      expect(await a.getKey('aio_alice')).toBeUndefined();
      expect(await b.getKey('aio_alice')).toMatchObject({ credits: 2 });
      // A prefix with glob characters matches only itself.
      const glob = await connect(`gwsim-test:[${counter}]*?:`);
      await glob.createKey('aio_x', 3, SECRET, LIMIT, T0);
      await glob.reset();
      expect(await glob.listKeys()).toEqual([]);
      expect(await b.getKey('aio_alice')).toMatchObject({ credits: 2 });
    });

    it('fractional and large amounts survive the Lua arithmetic exactly', async () => {
      const store = await connect(freshPrefix());
      await store.createKey('aio_alice', 0.1, SECRET, LIMIT, T0);
      await store.topUp('aio_alice', 0.2, T0);
      expect(await store.getKey('aio_alice')).toMatchObject({ credits: 0.1 + 0.2 });
      await store.createKey('aio_big', 2 ** 52 + 1, SECRET, LIMIT, T0);
      expect((await store.hold('aio_big', 't', 2 ** 40 + 3, T0)).ok).toBe(true);
      expect(await store.getKey('aio_big')).toMatchObject({ credits: 2 ** 52 + 1, held: 2 ** 40 + 3 });
      expect((await store.ledger('aio_big')).at(-1)).toMatchObject({
        amount: 2 ** 40 + 3,
        balance: 2 ** 52 + 1,
        held: 2 ** 40 + 3,
      });
    });

    it('1,000 concurrent holds over two connections against a balance covering 100: exactly 100 succeed', async () => {
      const prefix = freshPrefix();
      const [a, b] = [await connect(prefix), await connect(prefix)];
      await a.createKey('aio_race', 100 * 3, SECRET, LIMIT, T0);
      const results = await Promise.all(
        Array.from({ length: 1000 }, (_, i) => (i % 2 === 0 ? a : b).hold('aio_race', `race-${i}`, 3, T0 + i)),
      );
      expect(results.filter((r) => r.ok)).toHaveLength(100);
      for (const r of results) {
        if (!r.ok) {
          expect(r.reason).toBe('insufficient');
          expect(r.available).toBeGreaterThanOrEqual(0);
        } else expect(r.record.credits - r.record.held).toBeGreaterThanOrEqual(0);
      }
      expect(await b.getKey('aio_race')).toMatchObject({ credits: 300, held: 300 });
      const entries = await a.ledger('aio_race');
      expect(entries.every((e) => e.balance - e.held >= 0)).toBe(true);
      expect(ledgerTotals(entries)).toEqual({ balance: 300, held: 300 });
    });

    it('claimDueJobs from two connections never hands out a job twice', async () => {
      const prefix = freshPrefix();
      const [a, b] = [await connect(prefix), await connect(prefix)];
      for (let i = 0; i < 300; i++)
        await a.scheduleJob({ id: `job-${i}`, due: T0 + (i % 13), kind: 'poll', payload: JSON.stringify({ i }) });
      const claimed: string[] = [];
      const worker = async (store: RedisStore) => {
        for (;;) {
          const jobs = await store.claimDueJobs(T0 + 20, 7, 60_000);
          if (jobs.length === 0) return;
          claimed.push(...jobs.map((j) => j.id));
        }
      };
      await Promise.all([worker(a), worker(b), worker(a), worker(b)]);
      expect(claimed).toHaveLength(300);
      expect(new Set(claimed).size).toBe(300);
      expect(await b.pendingJobs()).toBe(300);
    });

    it('a job leased by an instance that died is claimed by another after the lease expires', async () => {
      const prefix = freshPrefix();
      const dying = await RedisStore.connect(server.url(), { prefix });
      const survivor = await connect(prefix);
      await dying.scheduleJob({ id: 'finish-t1', due: T0, kind: 'transition', payload: '{"task":"t1"}' });
      expect(await dying.claimDueJobs(T0, 10, 5000)).toHaveLength(1);
      await dying.close();
      expect(await survivor.claimDueJobs(T0 + 4999, 10, 5000)).toEqual([]);
      expect(await survivor.claimDueJobs(T0 + 5000, 10, 5000)).toEqual([
        { id: 'finish-t1', due: T0, kind: 'transition', payload: '{"task":"t1"}' },
      ]);
      await survivor.completeJob('finish-t1');
      expect(await survivor.pendingJobs()).toBe(0);
    });

    it('an unreachable URL at connect is a StartupError naming the URL, within about 3 s', async () => {
      const port = await freePort();
      const url = `redis://127.0.0.1:${port}/0`;
      const started = Date.now();
      const err = await RedisStore.connect(url).catch((e: unknown) => e);
      expect(Date.now() - started).toBeLessThan(3000);
      expect(err).toBeInstanceOf(StartupError);
      expect((err as Error).message).toContain(url);
      expect((err as Error).message).toMatch(/ECONNREFUSED/);
      // The password, if any, is not shown.
      const withPassword = await openStore(`redis://user:s3cret@127.0.0.1:${port}/0`).catch((e: unknown) => e);
      expect(withPassword).toBeInstanceOf(StartupError);
      expect((withPassword as Error).message).not.toContain('s3cret');
    });

    it('a host that never answers fails at connect within about 3 s', async () => {
      // A listening socket that accepts and says nothing: the ready check never completes.
      const { createServer } = await import('node:net');
      const sockets: import('node:net').Socket[] = [];
      const mute = createServer((s) => sockets.push(s));
      await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r));
      const port = (mute.address() as import('node:net').AddressInfo).port;
      try {
        const started = Date.now();
        const err = await RedisStore.connect(`redis://127.0.0.1:${port}/0`, { connectTimeoutMs: 1000 }).catch(
          (e: unknown) => e,
        );
        expect(Date.now() - started).toBeLessThan(3000);
        expect(err).toBeInstanceOf(StartupError);
        expect((err as Error).message).toContain(`127.0.0.1:${port}`);
      } finally {
        for (const s of sockets) s.destroy();
        await new Promise((r) => mute.close(r));
      }
    });
  });
});

// Its own server: this one gets killed.
describeRedis('RedisStore when redis-server dies and comes back', () => {
  let server: RedisServer;
  let store: RedisStore | undefined;
  beforeAll(async () => {
    server = await RedisServer.start();
  });
  afterAll(async () => {
    await store?.close();
    await server?.stop();
  });

  it('calls reject with StoreUnavailableError quickly while it is down, and work again once it is back', async () => {
    store = await RedisStore.connect(server.url(), { prefix: freshPrefix() });
    await store.createKey('aio_alice', 10, SECRET, LIMIT, T0);
    await server.kill();

    for (const call of [
      () => store!.getKey('aio_alice'),
      () => store!.hold('aio_alice', 't1', 1, T0),
      () => store!.claimDueJobs(T0, 10, 1000),
    ]) {
      const started = Date.now();
      const err = await call().catch((e: unknown) => e);
      expect(Date.now() - started).toBeLessThan(2000);
      expect(err).toBeInstanceOf(StoreUnavailableError);
      expect((err as Error).message).toContain(`127.0.0.1:${server.port}`);
    }

    await server.start();
    // ioredis reconnects on its own (backoff of at most a second); data is gone (no persistence).
    const deadline = Date.now() + 5000;
    let back = false;
    while (!back && Date.now() < deadline) {
      back = await store.getKey('aio_alice').then(
        () => true,
        (e: unknown) => {
          if (!(e instanceof StoreUnavailableError)) throw e;
          return new Promise<boolean>((r) => setTimeout(() => r(false), 100));
        },
      );
    }
    expect(back).toBe(true);
    // Scripts work again too (the restarted server has an empty script cache).
    await store.createKey('aio_alice', 10, SECRET, LIMIT, T0);
    expect((await store.hold('aio_alice', 't1', 4, T0)).ok).toBe(true);
    expect(await store.getKey('aio_alice')).toMatchObject({ credits: 10, held: 4 });
  });
});
