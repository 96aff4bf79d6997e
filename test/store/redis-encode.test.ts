import { Command } from 'ioredis';
import { expect, it } from 'vitest';
import { encodeCommand } from '../../src/store/redis-encode.js';

const WORDS = [
  ['evalsha', 'abc', '2', 'k1', 'k2', ''],
  ['eval', 'return ARGV[1]', '0', 'é ü 東京 🙂'],
  ['set', 'x', '{"a":"\\"q\\"","b":"\r\n$3\r\n"}'],
  ['ping'],
];

it.each(WORDS)('writes %s as ioredis would write it (RESP: counts in bytes, not characters)', (name, ...args) => {
  const ours = encodeCommand(name, args);
  const theirs = new Command(name, args).toWritable({});
  expect(ours.toString('utf8')).toBe(typeof theirs === 'string' ? theirs : theirs.toString('utf8'));
  expect(ours.length).toBe(Buffer.byteLength(theirs));
});
