import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runScript } from '../../src/store/redis-eval.js';
import { luaScript } from '../../src/store/redis-lua.js';
import { describeRedis, RedisServer } from '../helpers/redis-server.js';

const ECHO = luaScript(1, `return {KEYS[1], ARGV[1], ARGV[2], #ARGV}`);
const FAILS = luaScript(0, `return redis.error_reply('ERR gwsim test: ' .. ARGV[1])`);

/** Calls of one command so far, from INFO commandstats. */
async function calls(client: Redis, command: 'eval' | 'evalsha'): Promise<number> {
  const m = new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(await client.info('commandstats'));
  return m ? Number(m[1]) : 0;
}

let redis: RedisServer;
let client: Redis;

describeRedis('runScript', () => {
  beforeAll(async () => {
    redis = await RedisServer.start();
    client = new Redis(redis.url(0));
  }, 30_000);
  afterAll(async () => {
    client?.disconnect();
    await redis?.stop();
  });

  it('runs a script Redis has never seen (EVAL once), then by its SHA alone', async () => {
    expect(await runScript(client, ECHO, ['k'], ['a', ''])).toEqual(['k', 'a', '', 2]);
    expect(await client.script('EXISTS', ECHO.sha)).toEqual([1]);
    const [evals, shas] = [await calls(client, 'eval'), await calls(client, 'evalsha')];
    expect(await runScript(client, ECHO, ['k2'], ['b', 'c'])).toEqual(['k2', 'b', 'c', 2]);
    expect(await calls(client, 'eval')).toBe(evals);
    expect(await calls(client, 'evalsha')).toBe(shas + 1);
  });

  it('sends the script whole again once Redis has forgotten it (SCRIPT FLUSH, a restart)', async () => {
    await runScript(client, ECHO, ['k'], ['a', 'b']);
    await client.script('FLUSH');
    const evals = await calls(client, 'eval');
    expect(await runScript(client, ECHO, ['k3'], ['x', 'y'])).toEqual(['k3', 'x', 'y', 2]);
    expect(await calls(client, 'eval')).toBe(evals + 1);
  });

  it('sends every argument byte for byte: multi-byte characters, empty, protocol look-alikes, longer than a pool slice', async () => {
    const long = 'é'.repeat(6000);
    for (const [key, a, b] of [
      ['東京 🙂', '', '\r\n$3\r\nSET\r\n'],
      ['k', long, '*2\r\n'],
    ] as const)
      expect(await runScript(client, ECHO, [key], [a, b])).toEqual([key, a, b, 2]);
  });

  it('sends each of many commands corked together whole, however many slabs their bytes span', async () => {
    const sizes = Array.from({ length: 300 }, (_, i) => (i % 7 === 0 ? 20_000 : 200 + i * 13));
    const replies = await Promise.all(
      sizes.map((n, i) => runScript(client, ECHO, [`k${i}`], [String(i).padEnd(n, String(i % 10)), ''])),
    );
    replies.forEach((reply, i) => expect(reply).toEqual([`k${i}`, String(i).padEnd(sizes[i]!, String(i % 10)), '', 2]));
  });

  it("rejects with the script's own error, and does not send it again", async () => {
    await runScript(client, FAILS, [], ['first']).catch(() => undefined); // loaded
    const evals = await calls(client, 'eval');
    await expect(runScript(client, FAILS, [], ['boom'])).rejects.toThrow('ERR gwsim test: boom');
    expect(await calls(client, 'eval')).toBe(evals);
  });
});
