import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TaskView } from '../../src/gateway/task.js';
import { LOOPBACK_SPELLINGS } from '../helpers/hosts.js';
import { drain, leftBy, snapshot, startTestSim, type Envelope, type ErrorBody, type TestSim } from '../helpers/sim.js';

const FLUX = { model: 'flux-2', prompt: 'a copper kettle on a stove' };
const OK = 'https://127.0.0.1:9/ok.png';

describe('input_urls: http(s) on loopback or the config allowlist', () => {
  let sim: TestSim;
  beforeAll(async () => {
    sim = await startTestSim({
      config: {
        webhooks: { allow_hosts: ['cdn.example.test', '*.assets.test'] },
        models: { 'flux-2': { failure_rate: 0 } },
      },
    });
  });
  afterAll(() => sim.close());

  const post = (body: unknown) => sim.call<Envelope<TaskView>>('POST', '/api/v1/images/generations', { body });

  async function expectRefused(urls: unknown[], index: number, reason: string): Promise<void> {
    const before = await snapshot(sim);
    const reply = await post({ ...FLUX, input_urls: urls });
    const body = reply.body as unknown as ErrorBody;
    expect(reply.status, `${JSON.stringify(urls)} → ${JSON.stringify(body)}`).toBe(400);
    expect(body.error).toMatchObject({ code: 400, type: 'invalid_request_error' });
    expect(body.error.message).toContain(`'input_urls[${index}]'`);
    expect(body.error.message).toContain(reason);
    expect(await snapshot(sim)).toEqual(leftBy(before, reply));
  }

  it('refuses schemes other than http and https, naming the index', async () => {
    for (const bad of [
      'file:///etc/passwd',
      'ftp://127.0.0.1/a.png',
      'gopher://127.0.0.1/',
      'data:image/png;base64,AAAA',
      'javascript:alert(1)',
    ]) {
      await expectRefused([OK, OK, bad], 2, 'must be an http or https URL');
    }
  });

  it('refuses hosts off the allowlist, and URLs with credentials', async () => {
    for (const [bad, host] of [
      ['http://169.254.169.254/latest/meta-data', '169.254.169.254'],
      ['https://example.com/cat.png', 'example.com'],
      ['http://10.0.0.1/x.png', '10.0.0.1'],
      ['http://[::ffff:10.0.0.1]/x.png', '10.0.0.1'],
      ['http://0.0.0.0/x.png', '0.0.0.0'],
      ['http://assets.test/x.png', 'assets.test'],
      ['http://cdn.example.test.evil.com/x.png', 'cdn.example.test.evil.com'],
    ] as const) {
      await expectRefused([bad], 0, `host '${host}' is not allowed`);
    }
    await expectRefused([OK, 'http://user:pw@127.0.0.1/x.png'], 1, 'must not carry credentials');
  });

  it('accepts loopback in any spelling (gwsim images included) and the allowed hosts; the task runs', async () => {
    const urls = [
      ...LOOPBACK_SPELLINGS.slice(0, 4).map((h) => `http://${h}:8080/in.png`),
      'https://CDN.example.test/a.png',
      'http://img.assets.test/b.png',
    ];
    // gwsim's own image URLs are fine inputs: editing what it made is a normal request.
    urls.push(`${sim.url}/files/any/0.png`);
    const reply = await post({ ...FLUX, input_urls: urls.slice(0, 8) });
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    await drain(sim);
    const done = await sim.call<Envelope<TaskView>>('GET', `/api/v1/tasks/${reply.body.data.task_id}`);
    expect(done.body.data.status).toBe('COMPLETED');
  });
});
