import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseHar } from '../../src/record/har-file.js';
import { exited, run, startGwsim, within } from '../helpers/cli.js';
import { SEVERAL_CHILDREN_MS } from './limits.js';
import { REAL_KEY, REAL_WEBHOOK_SECRET, startStandIn, type StandIn } from './stand-in-gateway.js';

const dir = mkdtempSync(join(tmpdir(), 'gwsim-scrub-'));
let standIn: StandIn;
beforeAll(async () => void (standIn = await startStandIn()));
afterAll(() => standIn.close());

it(
  'no key, secret or aio_… string survives in the file, and it is written as the session goes',
  async () => {
    const har = join(dir, 'scrubbed.har');
    const { child, firstLine } = await startGwsim([
      'record',
      '--target',
      standIn.url,
      '--port',
      '0',
      '--out',
      har,
      '--scrub',
      'sk-[a-z0-9]+',
    ]);
    const url = firstLine.replace('gwsim record listening on ', '');
    const auth = { authorization: `Bearer ${REAL_KEY}` };
    const account = await fetch(`${url}/api/v1/account?api_key=${REAL_KEY}`, {
      headers: { ...auth, 'webhook-secret': REAL_WEBHOOK_SECRET, cookie: 'session=s3cr3t' },
    });
    // The proxy answers unchanged: the client sees the secrets, the file does not.
    expect(await account.text()).toContain(REAL_WEBHOOK_SECRET);
    const created = await fetch(`${url}/api/v1/images/generations`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'imagen4',
        prompt: `a sign reading ${REAL_KEY} and sk-abc123secret`,
        webhook_secret: 'hunter2',
      }),
    });
    expect(created.status).toBe(200);

    // Flushed as it goes: before the recorder stops, the file already reads as a HAR with both calls.
    expect(parseHar(readFileSync(har, 'utf8'), har).log.entries).toHaveLength(2);

    process.kill(child.pid!, 'SIGINT');
    expect((await within(exited(child), 'gwsim record to stop')).code).toBe(0);
    const text = readFileSync(har, 'utf8');
    JSON.parse(text); // complete after SIGINT
    for (const secret of [REAL_KEY, 'aio_', 'whsec_', REAL_WEBHOOK_SECRET, 'sk-abc123secret', 's3cr3t', 'hunter2'])
      expect(text).not.toContain(secret);
    expect(text).toContain('Bearer [scrubbed]');
  },
  SEVERAL_CHILDREN_MS,
);

it(
  'a recorder killed hard leaves a file that diff and calibrate still read',
  async () => {
    const har = join(dir, 'killed.har');
    const { child, firstLine } = await startGwsim(['record', '--target', standIn.url, '--port', '0', '--out', har]);
    const url = firstLine.replace('gwsim record listening on ', '');
    for (let i = 0; i < 2; i++)
      await (await fetch(`${url}/api/v1/credits`, { headers: { authorization: `Bearer ${REAL_KEY}` } })).text();
    process.kill(child.pid!, 'SIGKILL');
    await within(exited(child), 'gwsim record to die');
    const r = await run(['calibrate', har, '--out', join(dir, 'killed.yaml')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(parseHar(readFileSync(har, 'utf8'), har).log.entries).toHaveLength(2);
  },
  SEVERAL_CHILDREN_MS,
);
