import { describe, expect, it } from 'vitest';
import { canonicalHost, isLoopbackHost, isUnspecifiedHost } from '../../src/net/hosts.js';
import { SelfTargets } from '../../src/net/self-targets.js';
import { LOOPBACK_SPELLINGS } from '../helpers/hosts.js';

describe('canonicalHost', () => {
  it('brings every spelling of an address to one form', () => {
    for (const h of [
      '127.1',
      '0x7f000001',
      '2130706433',
      '0177.0.0.1',
      '127.0.0.1.',
      '[::ffff:127.0.0.1]',
      '::ffff:7f00:1',
      '%31%32%37.0.0.1',
    ]) {
      expect(canonicalHost(h), h).toBe('127.0.0.1');
    }
    expect(canonicalHost('[0:0:0:0:0:0:0:1]')).toBe('::1');
    expect(canonicalHost('::1')).toBe('::1');
    expect(canonicalHost('LOCALHOST.')).toBe('localhost');
    expect(canonicalHost('Hooks.Example.COM')).toBe('hooks.example.com');
    expect(canonicalHost('[::ffff:10.0.0.1]')).toBe('10.0.0.1');
  });

  it('refuses what is not a host alone', () => {
    for (const h of ['', ' ', 'a b', 'a/b', 'a:80', 'u@a', '[::1', 'a?b', 'a#b', '999.1.1.1'])
      expect(canonicalHost(h), h).toBeUndefined();
  });
});

describe('isLoopbackHost (the bind host check and the callback allowlist alike)', () => {
  it('knows loopback in every spelling', () => {
    for (const h of [...LOOPBACK_SPELLINGS, '127.8.9.10', '::1']) expect(isLoopbackHost(h), h).toBe(true);
  });

  it('and nothing else', () => {
    for (const h of [
      '0.0.0.0',
      '::',
      '10.0.0.1',
      '[::ffff:10.0.0.1]',
      '128.0.0.1',
      '127.0.0.1.nip.io',
      'localhost.example.com',
      'example.com',
      '::2',
      '',
    ]) {
      expect(isLoopbackHost(h), h).toBe(false);
    }
  });

  it('tells the unspecified addresses apart', () => {
    for (const h of ['0.0.0.0', '0', '::', '[::]', '[0:0:0:0:0:0:0:0]']) expect(isUnspecifiedHost(h), h).toBe(true);
    expect(isUnspecifiedHost('127.0.0.1')).toBe(false);
  });
});

describe('SelfTargets', () => {
  it('a listening port on any address of this machine, in any spelling, and nothing else', () => {
    const self = new SelfTargets();
    self.listening('127.0.0.1', 4100);
    for (const h of [...LOOPBACK_SPELLINGS, '0.0.0.0', '[::]'])
      expect(self.includes(new URL(`http://${h}:4100/_sim/reset`)), h).toBe(true);
    expect(self.includes(new URL('http://127.0.0.1:4101/hook'))).toBe(false);
    expect(self.includes(new URL('http://example.com:4100/hook'))).toBe(false);
  });

  it('the default port of the scheme counts', () => {
    const self = new SelfTargets();
    self.listening('::1', 80);
    expect(self.includes(new URL('http://localhost/_sim/reset'))).toBe(true);
    expect(self.includes(new URL('https://localhost/_sim/reset'))).toBe(false);
  });

  it('the name a request reached it by, and URLs of its parts elsewhere', () => {
    const self = new SelfTargets();
    self.listening('0.0.0.0', 4100);
    self.add('http://node47.internal:5000');
    self.add('http://127.0.0.1:5001');
    expect(self.includes(new URL('http://GWSIM.staging.:4100/_sim/reset'), 'gwsim.staging:4100')).toBe(true);
    expect(self.includes(new URL('http://gwsim.staging/_sim/reset'), 'gwsim.staging')).toBe(true);
    expect(self.includes(new URL('http://gwsim.staging:4100/'), 'other.staging:4100')).toBe(false);
    expect(self.includes(new URL('http://node47.internal:5000/_sim/reset'))).toBe(true);
    expect(self.includes(new URL('http://node47.internal:5001/'))).toBe(false);
    expect(self.includes(new URL('http://[::1]:5001/_sim/reset'))).toBe(true);
  });
});
