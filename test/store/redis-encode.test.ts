import { Command } from 'ioredis';
import { expect, it } from 'vitest';
import { encodeCommand } from '../../src/store/redis-encode.js';

const WORDS = [
  ['evalsha', 'abc', '2', 'k1', 'k2', ''],
  ['eval', 'return ARGV[1]', '0', 'é ü 東京 🙂'],
  ['set', 'x', '{"a":"\\"q\\"","b":"\r\n$3\r\n"}'],
  ['ping'],
  // Lengths at each digit count's edges, and at the hand-copied words' limit (64), ASCII or not.
  ['set', ...[0, 9, 10, 63, 64, 65, 99, 100, 999, 1000, 9999, 10_000, 123_456].map((n) => 'x'.repeat(n))],
  ['set', 'é'.repeat(32), 'é' + 'x'.repeat(63), '🙂'.repeat(16)],
];

it.each(WORDS)('writes %s as ioredis would write it (RESP: counts in bytes, not characters)', (name, ...args) => {
  const ours = encodeCommand(name, args);
  const theirs = new Command(name, args).toWritable({});
  expect(ours.toString('utf8')).toBe(typeof theirs === 'string' ? theirs : theirs.toString('utf8'));
  expect(ours.length).toBe(Buffer.byteLength(theirs));
});
