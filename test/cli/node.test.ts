import type { ChildProcess } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { Job } from '../../src/nodes/node-emulator.js';
import { paths } from '../../src/paths.js';
import { loadSpec } from '../../src/spec/load-spec.js';
import { SpecValidators } from '../../src/spec/validators.js';
import { collect, exited, gwsim, startGwsim, within } from '../helpers/cli.js';
import { rawExchange } from '../helpers/raw-http.js';

const READY = /^gwsim node node48 listening on http:\/\/127\.0\.0\.1:(\d+)$/;
const validators = new SpecValidators(loadSpec(paths.nodeSpec), 'node');

/** Start `gwsim node …` and wait for its ready line. */
async function startNode(args: string[]): Promise<{ child: ChildProcess; url: string; line: string }> {
  const { child, firstLine: line } = await startGwsim(['node', ...args]);
  const port = READY.exec(line)?.[1];
  return { child, url: `http://127.0.0.1:${port ?? 0}`, line };
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('gwsim node', () => {
  it('runs node48 alone: prints its address, answers health, runs a job to the end, and stops with 0 on SIGTERM', async () => {
    const { child, url, line } = await startNode(['--id', 'node48', '--port', '0', '--time-scale', '0.01']);
    expect(line).toMatch(READY);

    const health = await fetch(`${url}/v1/health`);
    expect(health.status).toBe(200);
    const h = await health.json();
    expect(validators.response('/v1/health', 'get', 200)!(h)).toBe(true);
    expect(h).toEqual({ status: 'ok', node: 'node48', capacity: 100, running: 0, queued: 0 });

    const body = {
      job_id: 'n48clijob00001_cogview4',
      model: 'cogview-4',
      prompt: 'A robot in a kitchen',
      params: { size: '1024*1024', quality: 'hd' },
      num_images: 1,
      width: 1024,
      height: 1024,
    };
    const created = await fetch(`${url}/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(created.status).toBe(202);
    const accepted = (await created.json()) as Job;
    expect(validators.response('/v1/jobs', 'post', 202)!(accepted)).toBe(true);
    expect(accepted).toMatchObject({ id: body.job_id, model: 'cogview-4', state: 'running' });

    // cogview-4 takes 3–8 s, 30–80 ms at time scale 0.01 (at 0.001 a loaded machine could answer
    // the accept after the job had ended): a few short polls.
    let job = accepted;
    for (let i = 0; i < 500 && (job.state === 'queued' || job.state === 'running'); i++) {
      await pause(5);
      const res = await fetch(`${url}/v1/jobs/${body.job_id}`);
      expect(res.status).toBe(200);
      job = (await res.json()) as Job;
    }
    expect(validators.response('/v1/jobs/{job_id}', 'get', 200)!(job)).toBe(true);
    expect(job.state).toBe('succeeded');
    expect(job.result).toEqual({ images: [{ index: 0, width: 1024, height: 1024, content_type: 'image/png' }] });
    expect(job.finished_at! - job.started_at!).toBeLessThan(1000);

    // It serves node48's models only.
    const other = await fetch(`${url}/v1/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...body, job_id: 'x', model: 'imagen4' }),
    });
    expect(other.status).toBe(400);
    expect(((await other.json()) as { error: { type: string } }).error.type).toBe('unsupported_model');

    process.kill(child.pid!, 'SIGTERM');
    expect(await within(exited(child), 'exit after SIGTERM')).toEqual({ code: 0, signal: null });
  });

  it("answers malformed requests in the node's error shape, over a raw socket; its /_sim takes no webhook deliveries", async () => {
    const { child, url } = await startNode(['--id', 'node48', '--port', '0']);
    try {
      const port = Number(new URL(url).port);
      for (const [bytes, status] of [
        ['GET /v1/health HTTP/1.1\r\nHost: x\r\nX-A: a\0b\r\n\r\n', 400],
        [`GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(17 * 1024)}\r\n\r\n`, 431],
        ['CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n', 400],
      ] as const) {
        const answer = await rawExchange(port, bytes);
        expect(answer.status, answer.raw.slice(0, 200)).toBe(status);
        const body: unknown = JSON.parse(answer.body);
        expect(validators.response('/v1/jobs', 'post', 400)!(body)).toBe(true);
        expect(body).toEqual({ error: { type: 'invalid_request', detail: expect.any(String) } });
      }
      // Its loopback fault switch refuses webhook deliveries, as gwsim's admin API does.
      const hook = await fetch(`${url}/_sim/reset`, {
        method: 'POST',
        headers: { 'webhook-id': 'msg_1', 'user-agent': 'gwsim-webhooks' },
      });
      expect(hook.status).toBe(403);
      expect(await hook.json()).toEqual({ error: { type: 'forbidden', detail: expect.stringContaining('webhook') } });
      expect((await fetch(`${url}/_sim/reset`, { method: 'POST' })).status).toBe(200);
    } finally {
      process.kill(child.pid!, 'SIGTERM');
      await within(exited(child), 'exit after SIGTERM');
    }
  });

  it('--id node99 exits 2 naming --id and the nodes it knows', async () => {
    const child = gwsim(['node', '--id', 'node99', '--port', '0']);
    const stdout = collect(child.stdout);
    const stderr = collect(child.stderr);
    const { code } = await within(exited(child), 'exit');
    expect(code).toBe(2);
    expect(stderr()).toMatch(/--id/);
    expect(stderr()).toMatch(/node99/);
    expect(stderr()).toMatch(/node48/);
    expect(stdout()).not.toMatch(/listening/);
  });

  it('without --id exits 2 naming --id', async () => {
    const child = gwsim(['node', '--port', '0']);
    const stderr = collect(child.stderr);
    expect((await within(exited(child), 'exit')).code).toBe(2);
    expect(stderr()).toMatch(/--id/);
  });
});
