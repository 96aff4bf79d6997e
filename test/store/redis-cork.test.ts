import { Redis } from 'ioredis';
import type { Socket } from 'node:net';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { runScript } from '../../src/store/redis-eval.js';
import { luaScript } from '../../src/store/redis-lua.js';
import { describeRedis, RedisServer } from '../helpers/redis-server.js';

const ECHO = luaScript(0, `return ARGV[1]`);

let redis: RedisServer;
let client: Redis;
/** Writes the client's socket has handed to the kernel (each corked batch is one). */
let writes = 0;

describeRedis('corked script writes', () => {
  beforeAll(async () => {
    redis = await RedisServer.start();
    client = new Redis(redis.url(0));
    await runScript(client, ECHO, [], ['load']); // EVAL once, so every call below is one EVALSHA
    const socket = client.stream as Socket & Record<'_write' | '_writev', (...a: unknown[]) => unknown>;
    for (const name of ['_write', '_writev'] as const) {
      const real = socket[name].bind(socket);
      socket[name] = (...a: unknown[]) => {
        writes++;
        return real(...a);
      };
    }
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

  it("holds 'poll' scripts until every callback ready in the pass has run: one write for all", async () => {
    const replies = await inSeparateCallbacks(
      ['a', 'b', 'c'].map((v) => () => runScript(client, ECHO, [], [v], 'poll')),
    );
    expect(replies).toEqual(['a', 'b', 'c']);
    expect(writes).toBe(1);
  });

  it("sends 'tick' scripts each at their own tick's end: one write per callback", async () => {
    await inSeparateCallbacks(['a', 'b', 'c'].map((v) => () => runScript(client, ECHO, [], [v])));
    expect(writes).toBe(3);
  });

  it("a 'tick' script does not wait for the pass: it leaves at its tick's end with any held before it", async () => {
    let held!: Promise<unknown>;
    let atTickEnd = -1;
    const sent = await new Promise<unknown>((resolve, reject) =>
      setImmediate(() => {
        held = runScript(client, ECHO, [], ['held'], 'poll');
        runScript(client, ECHO, [], ['now']).then(resolve, reject);
        // Queued after the release runScript queued for its tick's end: both commands are out by now.
        process.nextTick(() => (atTickEnd = writes));
      }),
    );
    expect(atTickEnd).toBe(1);
    expect(sent).toBe('now');
    expect(await held).toBe('held');
    expect(writes).toBe(1);
  });
});
