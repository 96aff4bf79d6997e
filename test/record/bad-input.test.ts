import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { run } from '../helpers/cli.js';
import { freePort } from '../helpers/redis-server.js';
import { DIFF_LIMIT_MS, SEVERAL_CHILDREN_MS } from './limits.js';

const dir = mkdtempSync(join(tmpdir(), 'gwsim-bad-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const FIXTURE = 'test/fixtures/browser-session.har';

/** One clear line on stderr, no stack trace. */
function oneLine(stderr: string, says: RegExp): void {
  const first = stderr.split('\n')[0]!;
  expect(first).toMatch(says);
  expect(stderr).not.toMatch(/\n\s+at /);
}

it(
  'a file that is not HAR: exit 2, one line',
  async () => {
    for (const [name, text] of [
      ['notes.har', 'hello, not JSON'],
      ['other.har', '{"entries": []}'],
    ] as const) {
      for (const command of ['diff', 'calibrate']) {
        const r = await run([
          command,
          file(name, text),
          ...(command === 'calibrate' ? ['--out', join(dir, 'c.yaml')] : []),
        ]);
        expect(r.code).toBe(2);
        oneLine(r.stderr, /^gwsim: .*(notes|other)\.har is not a HAR file/);
      }
    }
  },
  SEVERAL_CHILDREN_MS,
);

it('a HAR of another API: exit 2, naming what it holds', async () => {
  const entry = (url: string) => ({
    startedDateTime: '2026-11-30T10:00:00.000Z',
    time: 12,
    request: {
      method: 'GET',
      url,
      httpVersion: 'HTTP/1.1',
      cookies: [],
      headers: [],
      queryString: [],
      headersSize: -1,
      bodySize: 0,
    },
    response: {
      status: 200,
      statusText: 'OK',
      httpVersion: 'HTTP/1.1',
      cookies: [],
      headers: [],
      content: { size: 2, mimeType: 'application/json', text: '{}' },
      redirectURL: '',
      headersSize: -1,
      bodySize: 2,
    },
    cache: {},
    timings: { send: 0, wait: 11, receive: 1 },
  });
  const har = file(
    'github.har',
    JSON.stringify({
      log: {
        version: '1.2',
        creator: { name: 'x', version: '1' },
        entries: [entry('https://api.github.com/repos/a/b'), entry('https://api.github.com/user')],
      },
    }),
  );
  const r = await run(['diff', har]);
  expect(r.code).toBe(2);
  oneLine(
    r.stderr,
    /holds no API in One calls: none of its 2 entries is under \/api\/v1\/ \(hosts: api\.github\.com\)/,
  );
});

it(
  'an unreachable --against: exit 2, one line naming it',
  async () => {
    const port = await freePort();
    const r = await run(['diff', FIXTURE, '--against', `http://127.0.0.1:${port}`], DIFF_LIMIT_MS);
    expect(r.code).toBe(2);
    oneLine(r.stderr, new RegExp(`cannot reach --against http://127\\.0\\.0\\.1:${port} .*ECONNREFUSED`));
  },
  SEVERAL_CHILDREN_MS,
);

it(
  'bad flags: exit 2 with usage',
  async () => {
    const noTarget = await run(['record', '--out', join(dir, 'x.har')]);
    expect(noTarget.code).toBe(2);
    oneLine(noTarget.stderr, /--target URL is required/);
    const badScrub = await run([
      'record',
      '--target',
      'http://127.0.0.1:1',
      '--out',
      join(dir, 'x.har'),
      '--scrub',
      '(',
    ]);
    expect(badScrub.code).toBe(2);
    oneLine(badScrub.stderr, /--scrub '\(' is not a regular expression/);
    const both = await run(['diff', FIXTURE, '--against', 'http://127.0.0.1:1', '--config', 'x.yaml']);
    expect(both.code).toBe(2);
    // A busy port: one line, and an earlier recording at --out left as it was.
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
    const earlier = file('earlier.har', 'kept');
    const taken = await run([
      'record',
      '--target',
      'http://127.0.0.1:1',
      '--port',
      String((busy.address() as AddressInfo).port),
      '--out',
      earlier,
    ]);
    busy.close();
    expect(taken.code).toBe(2);
    oneLine(taken.stderr, /port \d+ on 127\.0\.0\.1 is in use \(EADDRINUSE\): pass --port with another/);
    expect(readFileSync(earlier, 'utf8')).toBe('kept');
  },
  SEVERAL_CHILDREN_MS,
);

it(
  'a browser-exported HAR diffs too: its page loads and images skipped, its calls replayed',
  async () => {
    const r = await run(['diff', FIXTURE], DIFF_LIMIT_MS);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('8 entries: 6 calls replayed, 0 webhook deliveries, 2 other entries skipped');
    expect(r.stdout).toMatch(/GET \/credits {2}\(2 compared\)\n {2}same shape/);
    expect(r.stdout).toMatch(/imagen4 +recorded 8 +simulator 8 +ok/);
    expect(r.stdout).toMatch(/imagen-4 +n=1 .*too few samples to judge/);
    expect(r.code).toBe(r.stdout.includes('no differences') ? 0 : 1);
  },
  SEVERAL_CHILDREN_MS,
);
