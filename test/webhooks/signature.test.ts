import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { DEV_WEBHOOK_SECRET } from '../../src/admin/admin-service.js';
import { secretBytes, sign, verifyWebhook, WebhookVerificationError } from '../../src/webhooks/signature.js';

const SECRET = DEV_WEBHOOK_SECRET;
const OTHER_SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const ID = 'msg_2d7f9a1c03b84e5f';
const BODY = JSON.stringify({
  code: 200,
  message: 'success',
  data: { task_id: 't_1', status: 'COMPLETED', note: 'ünïcode ✓' },
});

/** Headers signed by standardwebhooks itself, at `seconds`. */
function signedByLibrary(secret: string, id: string, seconds: number, body: string): Record<string, string> {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(seconds),
    'webhook-signature': new Webhook(secret).sign(id, new Date(seconds * 1000), body),
  };
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

function expectRefused(fn: () => unknown, message?: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(WebhookVerificationError);
  if (message) expect((caught as Error).message).toMatch(message);
}

describe('sign', () => {
  it('gives exactly what standardwebhooks Webhook.sign gives, for several secrets, ids, times and bodies', () => {
    const cases: [string, string, number, string][] = [
      [SECRET, ID, 1_767_225_605, BODY],
      [OTHER_SECRET, 'msg_x', 0, ''],
      [`whsec_${randomBytes(24).toString('base64')}`, 'msg_abc123', nowSeconds(), '{"a":[1,2,3]}'],
      [SECRET, 'msg_1', 2_000_000_000, 'x'.repeat(10_000)],
    ];
    for (const [secret, id, seconds, body] of cases) {
      const ours = sign(secret, id, seconds, body);
      expect(ours).toMatch(/^v1,[A-Za-z0-9+/=]+$/);
      expect(ours).toBe(new Webhook(secret).sign(id, new Date(seconds * 1000), body));
    }
  });

  it('reads the whsec_ secret as base64 after the prefix', () => {
    expect(secretBytes(SECRET).toString('utf8')).toBe('gwsim-dev-webhook-secret-32bytes');
    // A raw base64 secret (no prefix) signs the same as its whsec_ form.
    expect(sign(SECRET.slice(6), ID, 1, BODY)).toBe(sign(SECRET, ID, 1, BODY));
  });
});

describe('verifyWebhook', () => {
  it('accepts what standardwebhooks signs, and returns the parsed body', () => {
    const headers = signedByLibrary(SECRET, ID, nowSeconds(), BODY);
    expect(verifyWebhook(BODY, headers, SECRET)).toEqual(JSON.parse(BODY));
    expect(verifyWebhook(Buffer.from(BODY, 'utf8'), headers, SECRET)).toEqual(JSON.parse(BODY));
    // The library agrees with itself here, so both sides speak the same protocol.
    expect(new Webhook(SECRET).verify(BODY, headers)).toEqual(JSON.parse(BODY));
  });

  it('accepts a fetch Headers object and headers in any letter case', () => {
    const plain = signedByLibrary(SECRET, ID, nowSeconds(), BODY);
    expect(verifyWebhook(BODY, new Headers(plain), SECRET)).toEqual(JSON.parse(BODY));
    const shouting = Object.fromEntries(Object.entries(plain).map(([k, v]) => [k.toUpperCase(), v]));
    expect(verifyWebhook(BODY, shouting, SECRET)).toEqual(JSON.parse(BODY));
  });

  it('refuses a tampered body (one byte changed, reformatted, or a trailing newline)', () => {
    const headers = signedByLibrary(SECRET, ID, nowSeconds(), BODY);
    expectRefused(() => verifyWebhook(BODY.replace('COMPLETED', 'COMPLETEE'), headers, SECRET), /no signature matches/);
    expectRefused(
      () => verifyWebhook(JSON.stringify(JSON.parse(BODY), null, 2), headers, SECRET),
      /no signature matches/,
    );
    expectRefused(() => verifyWebhook(`${BODY}\n`, headers, SECRET), /no signature matches/);
  });

  it('refuses a tampered webhook-id or webhook-timestamp (both are signed)', () => {
    const now = nowSeconds();
    const headers = signedByLibrary(SECRET, ID, now, BODY);
    expectRefused(() => verifyWebhook(BODY, { ...headers, 'webhook-id': 'msg_other' }, SECRET), /no signature matches/);
    expectRefused(
      () => verifyWebhook(BODY, { ...headers, 'webhook-timestamp': String(now - 1) }, SECRET),
      /no signature matches/,
    );
  });

  it('refuses the wrong secret', () => {
    const headers = signedByLibrary(SECRET, ID, nowSeconds(), BODY);
    expectRefused(() => verifyWebhook(BODY, headers, OTHER_SECRET), /no signature matches/);
  });

  it('refuses an old timestamp (now − 10 min), even correctly signed, as standardwebhooks does', () => {
    const headers = signedByLibrary(SECRET, ID, nowSeconds() - 600, BODY);
    expectRefused(() => verifyWebhook(BODY, headers, SECRET), /too old/);
    expect(() => new Webhook(SECRET).verify(BODY, headers)).toThrow();
  });

  it('refuses a future timestamp (now + 10 min), even correctly signed', () => {
    const headers = signedByLibrary(SECRET, ID, nowSeconds() + 600, BODY);
    expectRefused(() => verifyWebhook(BODY, headers, SECRET), /future/);
    expect(() => new Webhook(SECRET).verify(BODY, headers)).toThrow();
  });

  it('judges the timestamp against options.now and options.toleranceSeconds', () => {
    const seconds = 1_767_225_605;
    const headers = signedByLibrary(SECRET, ID, seconds, BODY);
    expect(verifyWebhook(BODY, headers, SECRET, { now: seconds * 1000 + 299_000 })).toEqual(JSON.parse(BODY));
    expectRefused(() => verifyWebhook(BODY, headers, SECRET, { now: seconds * 1000 + 301_000 }), /too old/);
    expect(verifyWebhook(BODY, headers, SECRET, { now: seconds * 1000 + 3_000_000, toleranceSeconds: 3_600 })).toEqual(
      JSON.parse(BODY),
    );
    expectRefused(
      () => verifyWebhook(BODY, headers, SECRET, { now: seconds * 1000 - 11_000, toleranceSeconds: 10 }),
      /future/,
    );
  });

  it('refuses when any of the three headers is missing or empty', () => {
    const headers = signedByLibrary(SECRET, ID, nowSeconds(), BODY);
    for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const) {
      const { [name]: _dropped, ...rest } = headers;
      expectRefused(() => verifyWebhook(BODY, rest, SECRET), /missing/);
      expectRefused(() => verifyWebhook(BODY, { ...headers, [name]: '' }, SECRET), /missing/);
    }
    expectRefused(() => verifyWebhook(BODY, {}, SECRET), /missing/);
  });

  it('refuses a timestamp that is not whole seconds', () => {
    const headers = signedByLibrary(SECRET, ID, nowSeconds(), BODY);
    expectRefused(
      () => verifyWebhook(BODY, { ...headers, 'webhook-timestamp': `${headers['webhook-timestamp']}.5` }, SECRET),
      /not a number/,
    );
    expectRefused(() => verifyWebhook(BODY, { ...headers, 'webhook-timestamp': 'soon' }, SECRET), /not a number/);
  });

  it('accepts several space-separated signatures when one of them matches, wherever it stands', () => {
    const now = nowSeconds();
    const good = sign(SECRET, ID, now, BODY);
    const stale = sign(OTHER_SECRET, ID, now, BODY);
    const v2 = `v2,${good.slice(3)}`;
    for (const list of [`${stale} ${good}`, `${good} ${stale}`, `${v2} ${stale} ${good}`]) {
      const headers = { 'webhook-id': ID, 'webhook-timestamp': String(now), 'webhook-signature': list };
      expect(verifyWebhook(BODY, headers, SECRET)).toEqual(JSON.parse(BODY));
      expect(new Webhook(SECRET).verify(BODY, headers)).toEqual(JSON.parse(BODY));
    }
  });

  it('refuses a list where none matches, and a right signature under another version tag', () => {
    const now = nowSeconds();
    const good = sign(SECRET, ID, now, BODY);
    const base = { 'webhook-id': ID, 'webhook-timestamp': String(now) };
    expectRefused(
      () =>
        verifyWebhook(BODY, { ...base, 'webhook-signature': `${sign(OTHER_SECRET, ID, now, BODY)} v1,AAAA` }, SECRET),
      /no signature matches/,
    );
    expectRefused(
      () => verifyWebhook(BODY, { ...base, 'webhook-signature': `v2,${good.slice(3)}` }, SECRET),
      /no signature matches/,
    );
    expectRefused(
      () => verifyWebhook(BODY, { ...base, 'webhook-signature': good.slice(3) }, SECRET),
      /no signature matches/,
    );
  });

  it('refuses a correctly signed body that is not JSON', () => {
    const headers = signedByLibrary(SECRET, ID, nowSeconds(), 'not json');
    expectRefused(() => verifyWebhook('not json', headers, SECRET), /not JSON/);
  });
});
