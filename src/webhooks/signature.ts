import { createHmac, timingSafeEqual } from 'node:crypto';

/** The HMAC key inside a `whsec_…` secret (Standard Webhooks: base64 after the prefix). */
export function secretBytes(secret: string): Buffer {
  return Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
}

/** `v1,` + base64 HMAC-SHA256 of `id.timestamp.body`. */
export function sign(secret: string, id: string, timestamp: number, body: string): string {
  return `v1,${createHmac('sha256', secretBytes(secret)).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

export class WebhookVerificationError extends Error {
  override readonly name = 'WebhookVerificationError';
}

export interface VerifyOptions {
  /** Seconds a timestamp may be off from `now` (default 300, as Standard Webhooks). */
  toleranceSeconds?: number;
  /** Epoch ms to judge the timestamp against (default Date.now()). */
  now?: number;
}

type HeaderBag = Headers | Record<string, string | string[] | undefined>;

function header(headers: HeaderBag, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const bag = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(bag).find((k) => k.toLowerCase() === name);
  const v = key === undefined ? undefined : bag[key];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Check a webhook from gwsim (or any Standard Webhooks sender) and return its parsed body.
 * Throws WebhookVerificationError when a header is missing, the timestamp is outside the
 * tolerance, or no `v1` signature matches the body exactly as received.
 */
export function verifyWebhook<T = unknown>(
  body: string | Buffer,
  headers: HeaderBag,
  secret: string,
  options: VerifyOptions = {},
): T {
  const id = header(headers, 'webhook-id');
  const ts = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id || !ts || !signatures)
    throw new WebhookVerificationError('missing webhook-id, webhook-timestamp or webhook-signature');
  const seconds = Number(ts);
  if (!/^\d+$/.test(ts)) throw new WebhookVerificationError('webhook-timestamp is not a number of seconds');
  const now = (options.now ?? Date.now()) / 1000;
  const tolerance = options.toleranceSeconds ?? 300;
  if (seconds < now - tolerance) throw new WebhookVerificationError('webhook-timestamp is too old');
  if (seconds > now + tolerance) throw new WebhookVerificationError('webhook-timestamp is in the future');
  const text = typeof body === 'string' ? body : body.toString('utf8');
  const expected = Buffer.from(sign(secret, id, seconds, text).slice(3), 'base64');
  const match = signatures.split(' ').some((s) => {
    const [version, value] = s.split(',');
    if (version !== 'v1' || !value) return false;
    const given = Buffer.from(value, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!match) throw new WebhookVerificationError('no signature matches the body');
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new WebhookVerificationError('the body is not JSON');
  }
}
