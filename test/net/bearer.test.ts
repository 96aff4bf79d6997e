import { describe, expect, it } from 'vitest';
import { bearerCredential } from '../../src/net/bearer.js';

describe('bearerCredential', () => {
  it('reads the credential of a Bearer header in any spacing and case, and nothing else', () => {
    expect(bearerCredential('Bearer aio_abc')).toBe('aio_abc');
    expect(bearerCredential('bearer   aio_abc  ')).toBe('aio_abc');
    expect(bearerCredential('BEARER\taio_abc')).toBe('aio_abc');
    expect(bearerCredential('Bearer\u00a0aio_abc')).toBe('aio_abc');
    for (const header of [
      undefined,
      '',
      'Bearer',
      'Bearer ',
      'Bearer a b',
      'Basic aio_abc',
      ' Bearer aio_abc',
      'Bearer  ',
    ])
      expect(bearerCredential(header), String(header)).toBeUndefined();
  });
});
