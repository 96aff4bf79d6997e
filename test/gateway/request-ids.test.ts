import { afterEach, describe, expect, it } from 'vitest';
import { counterRequestIds } from '../../src/net/request-ids.js';
import { startTestSim, type TestSim } from '../helpers/sim.js';

const started: TestSim[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.close()));
});
const sim = async (options: Parameters<typeof startTestSim>[0]) => {
  const s = await startTestSim(options);
  started.push(s);
  return s;
};
const idOf = async (s: TestSim) => (await s.call('GET', '/api/v1/models')).headers.get('x-request-id');

describe('request ids', () => {
  it('two simulators in one process count their own: the same seed gives the same ids, whatever the other did', async () => {
    const a = await sim({ seed: 5 });
    const b = await sim({ seed: 5 });
    const fromA = [await idOf(a), await idOf(a), await idOf(a)];
    expect(new Set(fromA).size).toBe(3);
    expect(fromA[0]).toMatch(/^req_[0-9a-f]{8}1$/);
    // b has answered nothing yet: its first id is a's first, not a's fourth.
    expect(await idOf(b)).toBe(fromA[0]);
    expect(await idOf(b)).toBe(fromA[1]);
    expect(await idOf(a)).not.toBe(fromA[2]);
  });

  it('another seed, another prefix', async () => {
    const a = await sim({ seed: 5 });
    const c = await sim({ seed: 6 });
    expect((await idOf(a))!.slice(0, 12)).not.toBe((await idOf(c))!.slice(0, 12));
  });

  it('takes a source of its own, errors included', async () => {
    const s = await sim({ requestIds: counterRequestIds('t-') });
    expect(await idOf(s)).toBe('t-1');
    expect((await s.call('GET', '/api/v1/models', { key: 'aio_unknown' })).headers.get('x-request-id')).toBe('t-2');
    expect((await s.admin_('GET', '/clock')).headers.get('x-request-id')).toBe('t-3');
  });
});

describe('the environment', () => {
  it('is not read by the library: GWSIM_ADMIN_TOKEN set in it does not lock /_sim', async () => {
    const saved = process.env.GWSIM_ADMIN_TOKEN;
    process.env.GWSIM_ADMIN_TOKEN = 'token-from-the-environment';
    try {
      const s = await sim({});
      expect((await s.admin_('GET', '/clock')).status).toBe(200);
      const locked = await sim({ adminToken: 'token-from-an-option' });
      expect((await locked.admin_('GET', '/clock')).status).toBe(401);
    } finally {
      if (saved === undefined) delete process.env.GWSIM_ADMIN_TOKEN;
      else process.env.GWSIM_ADMIN_TOKEN = saved;
    }
  });
});
