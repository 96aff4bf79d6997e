import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RedisStore } from '../../src/store/redis-store.js';
import { describeRedis, readsProcessed, RedisServer } from '../helpers/redis-server.js';
import { makeTask } from './store-contract.js';

let redis: RedisServer;
let store: RedisStore;
let probe: Redis;

describeRedis('the Redis store writes a tick of commands at once', () => {
  beforeAll(async () => {
    redis = await RedisServer.start();
    store = await RedisStore.connect(redis.url(0));
    probe = new Redis(redis.url(0));
  }, 30_000);
  afterAll(async () => {
    probe?.disconnect();
    await store?.close();
    await redis?.stop();
  });

  it('scripts issued in one tick reach Redis in one read, and each is answered', async () => {
    const before = await readsProcessed(probe);
    const tasks = Array.from({ length: 20 }, (_, i) => makeTask({ id: `cork-${i}`, status: 'IN_PROGRESS' }));
    await Promise.all(tasks.map((t) => store.putTask(t)));
    // Less the probe's own INFO.
    expect((await readsProcessed(probe)) - before - 1).toBe(1);
    expect((await store.getTask('cork-19'))?.status).toBe('IN_PROGRESS');
    expect(await store.listTasks({ status: 'IN_PROGRESS' })).toHaveLength(20);
  });

  it('a command after the tick goes out on its own (the socket is uncorked)', async () => {
    await store.putTask(makeTask({ id: 'later-1' }));
    await new Promise((r) => setImmediate(r));
    await store.putTask(makeTask({ id: 'later-2' }));
    expect((await store.getTask('later-2'))?.id).toBe('later-2');
  });
});
