import type { ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { DEV } from '../helpers/sim.js';
import { exited, run, startGwsim, within } from '../helpers/cli.js';

const LONG_KEY = 'aio_clilogtestkey0123_wxyz';
const ADMIN_TOKEN = 'admin-token-for-the-cli-test-9876';

/** Stop the child and give back its stderr as parsed JSON lines (every one must parse). */
async function stop(child: ChildProcess, stderr: () => string): Promise<Array<Record<string, unknown>>> {
  child.kill('SIGTERM');
  expect(await within(exited(child), 'gwsim to exit on SIGTERM')).toEqual({ code: 0, signal: null });
  return stderr()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('gwsim serve logs', () => {
  it('--log-format json --log-level debug: a JSON line per request on stderr, the key masked; stdout only the ready line', async () => {
    const { child, firstLine, stderr, stdout } = await startGwsim(
      ['serve', '--port', '0', '--clock', 'manual', '--log-format', 'json', '--log-level', 'debug'],
      { GWSIM_ADMIN_TOKEN: ADMIN_TOKEN },
    );
    const url = firstLine.replace(/^gwsim listening on /, '');
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' };
    // The token came from the environment, through the CLI.
    expect((await fetch(`${url}/_sim/clock`)).status).toBe(401);
    const created = await fetch(`${url}/_sim/keys`, {
      method: 'POST',
      headers: admin,
      body: JSON.stringify({ key: LONG_KEY, credits: 10 }),
    });
    expect(created.status).toBe(201);
    const credits = await fetch(`${url}/api/v1/credits`, { headers: { authorization: `Bearer ${LONG_KEY}` } });
    expect(credits.status).toBe(200);
    const models = await fetch(`${url}/api/v1/models`, { headers: { authorization: `Bearer ${DEV}` } });
    expect(models.status).toBe(200);
    const submitted = await fetch(`${url}/api/v1/images/generations`, {
      method: 'POST',
      headers: { authorization: `Bearer ${DEV}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'imagen4', prompt: 'a red bicycle', aspect_ratio: '1:1' }),
    });
    expect(submitted.status).toBe(200);
    const taskId = ((await submitted.json()) as { data: { task_id: string } }).data.task_id;
    const lines = await stop(child, stderr);

    expect(stdout()).toBe(`${firstLine}\n`);
    // At debug, the task's first transition (created) is a line of its own.
    expect(lines.filter((l) => l.msg === 'task')[0]).toMatchObject({
      level: 20,
      task_id: taskId,
      model: 'imagen-4',
      from: null,
    });
    const requests = lines.filter((l) => l.msg === 'request');
    // The token check answers before any route matches: that line has the path instead.
    expect(requests.map((l) => [l.api, l.method, l.operation ?? l.route ?? l.path, l.status])).toEqual([
      ['admin', 'GET', '/_sim/clock', 401],
      ['admin', 'POST', '/_sim/keys', 201],
      ['public', 'GET', 'getCredits', 200],
      ['public', 'GET', 'listModels', 200],
      ['public', 'POST', 'createImageGeneration', 200],
    ]);
    for (const l of requests) {
      expect(l).toMatchObject({ level: 30, req_id: expect.stringMatching(/^req_[0-9a-f]{8}[0-9a-z]+$/) });
      expect(typeof l.latency_ms).toBe('number');
    }
    expect(requests[1]).toMatchObject({ route: '/_sim/keys', key: 'admin-…9876' });
    expect(requests[2]).toMatchObject({ route: '/api/v1/credits', key: 'aio_…wxyz' });
    expect(requests[2]!.req_id).toBe(credits.headers.get('x-request-id'));
    expect(requests[3]).toMatchObject({ key: 'aio_…' });
    expect(lines.filter((l) => l.signal === 'SIGTERM')).toEqual([expect.objectContaining({ level: 30 })]);
    expect(stderr()).not.toContain(LONG_KEY);
    expect(stderr()).not.toContain(ADMIN_TOKEN);
    expect(stderr()).not.toContain(DEV);
  });

  it('--log-level silent prints no request lines; stdout is still the ready line alone', async () => {
    const { child, firstLine, stderr, stdout } = await startGwsim(['serve', '--port', '0', '--log-level', 'silent']);
    const url = firstLine.replace(/^gwsim listening on /, '');
    expect((await fetch(`${url}/api/v1/models`, { headers: { authorization: `Bearer ${DEV}` } })).status).toBe(200);
    expect(await stop(child, stderr)).toEqual([]);
    expect(stdout()).toBe(`${firstLine}\n`);
  });

  it('--log-format pretty writes lines for people, not JSON', async () => {
    const { child, firstLine, stderr } = await startGwsim(['serve', '--port', '0', '--log-format', 'pretty']);
    const url = firstLine.replace(/^gwsim listening on /, '');
    expect((await fetch(`${url}/api/v1/models`, { headers: { authorization: `Bearer ${DEV}` } })).status).toBe(200);
    child.kill('SIGTERM');
    await within(exited(child), 'gwsim to exit');
    expect(stderr()).toMatch(/INFO.*request/);
    expect(stderr()).toContain('listModels');
    expect(stderr()).not.toMatch(/^\{/m);
  });
});

describe('gwsim node logs', () => {
  it('a JSON line per request, the node token masked', async () => {
    const token = 'node-token-for-the-cli-test-4321';
    const { child, firstLine, stderr, stdout } = await startGwsim(
      ['node', '--id', 'node48', '--port', '0', '--log-format', 'json'],
      { GWSIM_NODE_TOKEN: token },
    );
    const url = `http://127.0.0.1:${/:(\d+)$/.exec(firstLine)![1]}`;
    expect((await fetch(`${url}/v1/health`)).status).toBe(200);
    expect((await fetch(`${url}/v1/jobs/nope`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(404);
    expect((await fetch(`${url}/v1/jobs/nope`)).status).toBe(401);
    const lines = (await stop(child, stderr)).filter((l) => l.msg === 'request');
    expect(stdout()).toBe(`${firstLine}\n`);
    expect(lines.map((l) => [l.api, l.node, l.method, l.route, l.status, l.key])).toEqual([
      ['node', 'node48', 'GET', '/v1/health', 200, undefined],
      ['node', 'node48', 'GET', '/v1/jobs/{job_id}', 404, 'node-…4321'],
      ['node', 'node48', 'GET', '/v1/jobs/{job_id}', 401, undefined],
    ]);
    expect(lines.map((l) => l.req_id)).toEqual(['req_node48_1', 'req_node48_2', 'req_node48_3']);
    expect(stderr()).not.toContain(token);
  });
});

describe('bad log flags', () => {
  it.each([
    ['serve', '--log-level', 'loud'],
    ['serve', '--log-format', 'xml'],
    ['node', '--log-level', 'verbose'],
    ['node', '--log-format', 'text'],
  ])('gwsim %s %s %s exits 2 naming the flag', async (command, flag, value) => {
    const args = command === 'node' ? ['node', '--id', 'node48', flag, value] : [command, flag, value];
    const { code, stdout, stderr } = await run(args);
    expect(code).toBe(2);
    expect(stderr).toMatch(new RegExp(`^gwsim: ${flag} must be one of .*, got '${value}'`));
    expect(stdout).toBe('');
  });

  it.each(['serve', 'node'])('gwsim %s --help lists both flags', async (command) => {
    const { code, stdout } = await run([command, '--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('--log-level');
    expect(stdout).toContain('--log-format');
  });
});
