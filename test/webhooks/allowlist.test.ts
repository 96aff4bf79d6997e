import { afterAll, describe, expect, it } from 'vitest';
import type { TaskView } from '../../src/gateway/task.js';
import { refuseCallback } from '../../src/webhooks/allowlist.js';
import {
  SEED_COGVIEW,
  SEED_IMAGEN,
  leftBy,
  snapshot,
  type Envelope,
  type ErrorBody,
  type TestSim,
} from '../helpers/sim.js';
import { deliveries, simPool } from './util.js';

describe('refuseCallback', () => {
  it('lets loopback through in every spelling', () => {
    for (const url of [
      'http://127.0.0.1:9/hook',
      'https://127.8.9.10/hook',
      'http://localhost:3000/x',
      'http://LOCALHOST/x',
      'http://hooks.localhost/x',
      'http://[::1]:8080/x',
      'http://[0:0:0:0:0:0:0:1]/x',
      'http://[::ffff:127.0.0.1]/x',
      'http://127.1/x',
    ]) {
      expect(refuseCallback(url, []), url).toBeUndefined();
    }
  });

  it('refuses other hosts with a reason naming the host and the config setting', () => {
    for (const [url, host] of [
      ['http://example.com/hook', 'example.com'],
      ['https://10.0.0.1/hook', '10.0.0.1'],
      ['http://169.254.169.254/latest/meta-data', '169.254.169.254'],
      ['http://[::ffff:10.0.0.1]/x', '10.0.0.1'],
      ['http://0.0.0.0/x', '0.0.0.0'],
      ['http://127.0.0.1.nip.io/x', '127.0.0.1.nip.io'],
      ['http://localhost.example.com/x', 'localhost.example.com'],
    ] as const) {
      const reason = refuseCallback(url, []);
      expect(reason, url).toContain(`'${host}' is not allowed`);
      expect(reason).toContain('webhooks.allow_hosts');
    }
  });

  it('refuses what is not an http(s) URL, or carries credentials', () => {
    expect(refuseCallback('ftp://127.0.0.1/x', [])).toBe('must be an http or https URL');
    expect(refuseCallback('file:///etc/passwd', [])).toBe('must be an http or https URL');
    expect(refuseCallback('javascript:alert(1)', [])).toBe('must be an http or https URL');
    expect(refuseCallback('not a url', [])).toBe('is not a valid URL');
    expect(refuseCallback('http://user:pw@127.0.0.1/x', [])).toBe('must not carry credentials');
  });

  it('allows configured hosts: exact names, and *.domain for subdomains only', () => {
    const allow = ['hooks.example.test', '*.corp.test'];
    expect(refuseCallback('https://hooks.example.test/in', allow)).toBeUndefined();
    expect(refuseCallback('https://HOOKS.Example.test/in', allow)).toBeUndefined();
    expect(refuseCallback('http://a.corp.test/in', allow)).toBeUndefined();
    expect(refuseCallback('http://deep.a.corp.test:8443/in', allow)).toBeUndefined();
    for (const url of [
      'http://corp.test/in',
      'http://evilcorp.test/in',
      'http://a.corp.test.evil.com/in',
      'http://example.test/in',
      'http://x.hooks.example.test/in',
    ]) {
      expect(refuseCallback(url, allow), url).toContain('is not allowed');
    }
  });

  it('matches configured hosts without regard to letter case', () => {
    expect(refuseCallback('http://hooks.example.test/in', ['Hooks.Example.TEST'])).toBeUndefined();
    expect(refuseCallback('http://a.corp.test/in', ['*.Corp.Test'])).toBeUndefined();
  });
});

describe('callback_url at submit', () => {
  const sims = simPool();
  let sim: TestSim;
  afterAll(() => sims.close());

  const post = (s: TestSim, body: unknown) => s.call<Envelope<unknown>>('POST', '/api/v1/images/generations', { body });

  /** 400 in the gateway envelope naming callback_url, and nothing changed. */
  async function expectRefusal(s: TestSim, body: unknown, reason?: string): Promise<string> {
    const before = await snapshot(s);
    const reply = await post(s, body);
    expect(reply.status, JSON.stringify(reply.body)).toBe(400);
    expect(reply.body).toMatchObject({ error: { code: 400, type: 'invalid_request_error' } });
    expect((reply.body as unknown as ErrorBody).error.message).toContain('callback_url');
    if (reason) expect((reply.body as unknown as ErrorBody).error.message).toContain(reason);
    expect(await snapshot(s)).toEqual(leftBy(before, reply));
    expect(await deliveries(s)).toEqual([]);
    return (reply.body as unknown as ErrorBody).error.message;
  }

  it('on cogview-4, which has no webhooks: 400 naming callback_url, no task, no hold', async () => {
    sim = await sims.get();
    await expectRefusal(sim, { ...SEED_COGVIEW, callback_url: 'http://127.0.0.1:9/hook' });
  });

  it('a disallowed host: 400 with the reason', async () => {
    sim = await sims.get();
    await expectRefusal(
      sim,
      { ...SEED_IMAGEN, callback_url: 'http://example.com/hook' },
      "host 'example.com' is not allowed",
    );
  });

  it('not http(s): 400', async () => {
    sim = await sims.get();
    await expectRefusal(sim, { ...SEED_IMAGEN, callback_url: 'ftp://127.0.0.1/x' });
  });

  it('not a URL, or a URL with credentials: 400', async () => {
    sim = await sims.get();
    await expectRefusal(sim, { ...SEED_IMAGEN, callback_url: 'no url at all' });
    await expectRefusal(sim, { ...SEED_IMAGEN, callback_url: 'http://user:secret@127.0.0.1:9/hook' }, 'credentials');
    await expectRefusal(sim, { ...SEED_IMAGEN, callback_url: 42 });
  });

  it('every webhook model accepts a loopback callback_url', async () => {
    sim = await sims.get();
    for (const body of [
      SEED_IMAGEN,
      { model: 'flux-2', prompt: 'a copper kettle' },
      { model: 'seedream', prompt: 'a mountain lake at dawn' },
      { model: 'gpt-image', prompt: 'a tin robot' },
      { model: 'ideogram-v3', prompt: 'a neon sign that says hello' },
    ]) {
      const reply = await post(sim, { ...body, callback_url: 'http://127.0.0.1:9/hook' });
      expect(reply.status, `${JSON.stringify(body)} → ${JSON.stringify(reply.body)}`).toBe(200);
    }
    // Nothing has finished (the clock never moved), so nothing was sent.
    expect(await deliveries(sim)).toEqual([]);
    await sim.admin_('POST', '/reset');
  });

  it('config webhooks.allow_hosts makes those hosts accepted at submit (no traffic is ever sent there)', async () => {
    // An empty schedule and a clock that never moves: no delivery is attempted, let alone retried.
    sim = await sims.get({ allow_hosts: ['hooks.example.test', '*.corp.test'], retry_schedule_ms: [] });
    for (const url of ['https://hooks.example.test/in', 'http://a.corp.test/in', 'http://deep.b.corp.test:8443/in']) {
      const reply = await post(sim, { ...SEED_IMAGEN, callback_url: url });
      expect(reply.status, `${url} → ${JSON.stringify(reply.body)}`).toBe(200);
      expect((reply.body.data as TaskView).status).toBe('IN_PROGRESS');
    }
    await expectRefusal(
      sim,
      { ...SEED_IMAGEN, callback_url: 'http://corp.test/in' },
      "host 'corp.test' is not allowed",
    );
    await expectRefusal(sim, { ...SEED_IMAGEN, callback_url: 'http://example.com/hook' }, 'is not allowed');
    expect(await deliveries(sim)).toEqual([]);
    // Back to the start: the tasks (and any delivery they would have made) are gone.
    expect((await sim.admin_('POST', '/reset')).status).toBe(200);
    expect(await sim.admin.tasks({})).toEqual([]);
    expect(await deliveries(sim)).toEqual([]);
  });
});
