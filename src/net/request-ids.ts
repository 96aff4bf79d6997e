import type { IncomingMessage } from 'node:http';
import { mix32 } from '../rng/rng.js';

/** Hands out request ids; each simulator (and each node) has its own, so two in one process never share a count. */
export type RequestIdSource = () => string;

/** `PREFIX` + a counter in base 36: unique within the source, cheap on the hot path. */
export function counterRequestIds(prefix: string): RequestIdSource {
  let issued = 0;
  return () => `${prefix}${(++issued).toString(36)}`;
}

const REQ = 0x726571; // 'req'

/**
 * `req_` + 8 hex digits from the seed (and `salt`) + the counter: the same seed gives the same ids
 * in the same order. Instances that share a store pass a random salt, so their ids differ.
 */
export function seededRequestIds(seed: number, salt = 0): RequestIdSource {
  return counterRequestIds(`req_${mix32(seed, REQ, salt).toString(16).padStart(8, '0')}`);
}

const CLIENT_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The client's `X-Request-Id` when it is sane (kept as the request's id), else undefined. */
export function clientRequestId(req: IncomingMessage): string | undefined {
  const given = req.headers['x-request-id'];
  return typeof given === 'string' && CLIENT_ID.test(given) ? given : undefined;
}
