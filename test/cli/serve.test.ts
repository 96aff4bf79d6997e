import type { ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskView } from '../../src/gateway/task.js';
import { DEV, SEED_COGVIEW, type Envelope } from '../helpers/sim.js';
import { exited, run, startGwsim, within } from '../helpers/cli.js';

const LISTENING = /^gwsim listening on http:\/\/127\.0\.0\.1:\d+$/;

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gwsim-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
/** Start `gwsim serve …` and wait for its ready line; the base URL it printed. */
async function serve(
  args: string[],
): Promise<{ child: ChildProcess; url: string; firstLine: string; stderr: () => string }> {
  const started = await startGwsim(['serve', ...args]);
  return { ...started, url: started.firstLine.replace(/^gwsim listening on /, '') };
}

describe('gwsim serve', () => {
  it('prints one ready line with its address, then serves the public API with the dev key', async () => {
    const { firstLine, url, child } = await serve(['--port', '0', '--seed', '3']);
    expect(firstLine).toMatch(LISTENING);
    const res = await fetch(`${url}/api/v1/models`, { headers: { authorization: `Bearer ${DEV}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Envelope<Array<{ id: string }>>;
    expect(body.code).toBe(200);
    expect(body.data.map((m) => m.id)).toEqual(expect.arrayContaining(['cogview-4', 'imagen-4']));
    const unauthorized = await fetch(`${url}/api/v1/models`);
    expect(unauthorized.status).toBe(401);
    // The admin API is open on loopback and the default clock is real.
    const clock = (await (await fetch(`${url}/_sim/clock`)).json()) as { mode: string };
    expect(clock.mode).toBe('real');

    child.kill('SIGTERM');
    expect(await within(exited(child), 'gwsim to exit on SIGTERM')).toEqual({ code: 0, signal: null });
  });

  it('takes --clock manual and --seed: the same seed gives the same first task id', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const { url, child } = await serve(['--port', '0', '--seed', '3', '--clock', 'manual']);
      const clock = (await (await fetch(`${url}/_sim/clock`)).json()) as { mode: string };
      expect(clock.mode).toBe('manual');
      const res = await fetch(`${url}/api/v1/images/generations`, {
        method: 'POST',
        headers: { authorization: `Bearer ${DEV}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'imagen4', prompt: 'a red bicycle', aspect_ratio: '1:1' }),
      });
      expect(res.status).toBe(200);
      ids.push(((await res.json()) as Envelope<TaskView>).data.task_id);
      child.kill('SIGTERM');
      await within(exited(child), 'gwsim to exit');
    }
    expect(ids[0]).toBe(ids[1]);
  });

  it.each([
    ['--port abc', ['serve', '--port', 'abc'], '--port'],
    ['--port 70000', ['serve', '--port', '70000'], '--port'],
    ['--port -1', ['serve', '--port=-1'], '--port'],
    ['--seed 1.5', ['serve', '--seed', '1.5'], '--seed'],
    ['--clock fast', ['serve', '--clock', 'fast'], '--clock'],
    ['--time-scale -1', ['serve', '--time-scale', '-1'], '--time-scale'],
    ['--time-scale=-1', ['serve', '--time-scale=-1'], '--time-scale'],
    ['--time-scale abc', ['serve', '--time-scale', 'abc'], '--time-scale'],
    ['--port without a value', ['serve', '--port'], '--port'],
    ['--bogus', ['serve', '--bogus'], '--bogus'],
    ['an unknown command', ['frobnicate'], 'frobnicate'],
  ])('exits 2 on %s, naming it on stderr', async (_what, args, name) => {
    const { code, stdout, stderr } = await run(args);
    expect(code).toBe(2);
    expect(stderr).toContain(name);
    expect(stderr).toMatch(/^gwsim: /);
    expect(stdout).not.toMatch(/listening/);
  });

  it('exits 2 on an invalid --config file, naming the field', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'keys:\n  - { key: aio_ok, credits: 5 }\n  - { key: nope, credits: 5 }\n');
    const { code, stderr, stdout } = await run(['serve', '--port', '0', '--config', file]);
    expect(code).toBe(2);
    expect(stderr).toContain(file);
    expect(stderr).toContain('keys[1].key');
    expect(stdout).toBe('');

    const overrides = join(dir, 'bad-model.yaml');
    writeFileSync(overrides, 'models:\n  imagen-4:\n    latency_ms: { p5: 9000, p95: 10 }\n');
    const second = await run(['serve', '--port', '0', '--config', overrides]);
    expect(second.code).toBe(2);
    expect(second.stderr).toContain('models.imagen-4.latency_ms.p5');

    const missing = await run(['serve', '--port', '0', '--config', join(dir, 'missing.yaml')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('missing.yaml');
  });

  it('exits 2 with one line naming the flag when the port is in use (serve, node, record and load alike)', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const { port } = taken.address() as AddressInfo;
    try {
      for (const args of [
        ['serve', '--port', String(port)],
        ['node', '--id', 'node47', '--port', String(port)],
        ['record', '--target', 'http://127.0.0.1:9', '--port', String(port), '--out', join(dir, 'x.har')],
      ]) {
        const { code, stderr, stdout } = await run(args);
        expect(code, args[0]).toBe(2);
        expect(stdout).toBe('');
        expect(stderr.trim().split('\n'), args[0]).toEqual([
          `gwsim: port ${port} on 127.0.0.1 is in use (EADDRINUSE): pass --port with another, or port 0 for any free one`,
        ]);
      }
      const hook = await run([
        'record',
        '--target',
        'http://127.0.0.1:9',
        '--port',
        '0',
        '--out',
        join(dir, 'y.har'),
        '--webhook-listen',
        `127.0.0.1:${port}`,
      ]);
      expect(hook.code).toBe(2);
      expect(hook.stderr).toContain('pass --webhook-listen with another');
      const load = await run([
        'load',
        '--target',
        'http://127.0.0.1:9',
        '--key',
        'aio_dev_key',
        '--rate',
        '1',
        '--duration',
        '1s',
        '--journey',
        'webhook',
        '--webhook-listen',
        `127.0.0.1:${port}`,
      ]);
      expect(load.code).toBe(2);
      expect(load.stderr.trim()).toBe(
        `gwsim: port ${port} on 127.0.0.1 is in use (EADDRINUSE): pass --webhook-listen with another, or port 0 for any free one`,
      );
    } finally {
      await new Promise((r) => taken.close(r));
    }
  });

  it('on SIGTERM lets an in-flight sync request finish, then exits 0', async () => {
    const file = join(dir, 'no-failures.yaml');
    writeFileSync(file, 'models:\n  cogview-4: { failure_rate: 0 }\n');
    // Real clock, time scale 0.05: cogview-4 (3-8 s) takes 150-400 ms.
    const { url, child, stderr } = await serve([
      '--port',
      '0',
      '--seed',
      '3',
      '--time-scale',
      '0.05',
      '--config',
      file,
    ]);
    // The first `/_sim` request loads Express and the admin routes: done before the task starts,
    // so the wait below watches the task, not that load.
    expect((await fetch(`${url}/_sim/clock`)).status).toBe(200);
    let answered = false;
    const pending = fetch(`${url}/api/v1/images/generations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${DEV}`, 'content-type': 'application/json' },
      body: JSON.stringify(SEED_COGVIEW),
    }).then(async (res) => {
      answered = true;
      return { status: res.status, body: (await res.json()) as Envelope<TaskView> };
    });

    // If the test fails early, the child is killed and this fetch fails: not an unhandled rejection.
    pending.catch(() => undefined);

    // Wait (bounded) until the task runs on its node: the request is in flight.
    let tasks: Array<{ status: string }> = [];
    const running = () => tasks.length > 0 && tasks[0]!.status !== 'IN_QUEUE';
    await within(
      (async () => {
        while (!running()) {
          tasks = (await (await fetch(`${url}/_sim/tasks?model=cogview-4`)).json()) as Array<{ status: string }>;
          if (!running()) await new Promise((r) => setTimeout(r, 5));
        }
      })(),
      'the task to start',
      5000,
    );
    expect(tasks[0]!.status).toBe('IN_PROGRESS');
    expect(answered).toBe(false);
    child.kill('SIGTERM');

    const reply = await within(pending, 'the in-flight request');
    expect(reply.status).toBe(200);
    expect(reply.body.data).toMatchObject({ status: 'COMPLETED', model: 'cogview-4', credits_charged: 4 });
    expect(await within(exited(child), 'gwsim to exit after SIGTERM')).toEqual({ code: 0, signal: null });
    expect(stderr()).toContain('SIGTERM');
  });
});

describe('gwsim --help', () => {
  it.each([
    ['--help', ['--help']],
    ['-h', ['-h']],
    ['help', ['help']],
    ['no arguments', []],
  ])('%s exits 0 and lists serve', async (_what, args) => {
    const { code, stdout } = await run(args);
    expect(code).toBe(0);
    expect(stdout).toContain('gwsim serve');
    expect(stdout).toContain('--port');
  });
});
