import { Redis } from 'ioredis';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { runScript } from '../../src/store/redis-eval.js';
import { luaScript } from '../../src/store/redis-lua.js';
import { RedisStore } from '../../src/store/redis-store.js';
import { makeTask } from './store-contract.js';
import { describeRedis, RedisServer } from '../helpers/redis-server.js';

const ECHO = luaScript(0, `return ARGV[1]`);

let redis: RedisServer;
let client: Redis;
/** Writes the client's socket has handed to the kernel (each corked batch is one). */
let writes = 0;

/** Count every write `client`'s socket hands to the kernel into `writes`. */
function countWrites(client: Redis): void {
  const socket = client.stream as Socket & Record<'_write' | '_writev', (...a: unknown[]) => unknown>;
  for (const name of ['_write', '_writev'] as const) {
    const real = socket[name].bind(socket);
    socket[name] = (...a: unknown[]) => {
      writes++;
      return real(...a);
    };
  }
}

describeRedis('corked script writes', () => {
  beforeAll(async () => {
    redis = await RedisServer.start();
    client = new Redis(redis.url(0));
    await runScript(client, ECHO, [], ['load']); // EVAL once, so every call below is one EVALSHA
    countWrites(client);
  }, 30_000);
  afterAll(async () => {
    client?.disconnect();
    await redis?.stop();
  });
  beforeEach(() => {
    writes = 0;
  });

  /** Runs `calls` in callbacks queued together (as an event-loop pass runs the requests it read). */
  const inSeparateCallbacks = (calls: Array<() => Promise<unknown>>) =>
    Promise.all(
      calls.map(
        (call) =>
          new Promise((resolve, reject) => {
            setImmediate(() => void call().then(resolve, reject));
          }),
      ),
    );

  it("sends one tick's scripts in one write", async () => {
    const replies = await Promise.all(['a', 'b', 'c'].map((v) => runScript(client, ECHO, [], [v])));
    expect(replies).toEqual(['a', 'b', 'c']);
    expect(writes).toBe(1);
  });

  it("sends scripts each at their own tick's end: one write per callback", async () => {
    await inSeparateCallbacks(['a', 'b', 'c'].map((v) => () => runScript(client, ECHO, [], [v])));
    expect(writes).toBe(3);
  });

  it("sends each submit's create at its own tick's end: the creates of one pass do not wait for each other", async () => {
    const storeClient = new Redis(redis.url(1));
    const store = new RedisStore(storeClient);
    try {
      await store.createKey('aio_alice', 100, 'whsec_c2VjcmV0', { requests: 100, window_s: 60 }, 0);
      // Loads the script (a first EVALSHA is answered NOSCRIPT and sent again whole).
      await store.createTask({ task: makeTask({ id: 't0', key: 'aio_alice' }), at: 0 });
      countWrites(storeClient);
      writes = 0;
      const made = await inSeparateCallbacks(
        ['t1', 't2', 't3'].map((id) => () => store.createTask({ task: makeTask({ id, key: 'aio_alice' }), at: 0 })),
      );
      expect(made).toEqual([{ kind: 'created' }, { kind: 'created' }, { kind: 'created' }]);
      // Held for the pass, they left in one write and put the pass's submits in lockstep (redis-cork.ts).
      expect(writes).toBe(3);
    } finally {
      await store.close();
    }
  });
});
