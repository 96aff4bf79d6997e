import { describe, expect, it } from 'vitest';
import { imageToken, imageTokens } from '../../src/images/image-token.js';

// Expected tokens from openssl: printf ID | openssl dgst -sha256 -hmac SECRET -binary | base64url, 22 chars.
describe('image URL tokens', () => {
  it('are HMAC-SHA256 of the task id, 22 base64url characters', () => {
    expect(imageToken('gwsim-test-secret', 'n47abc_imagen4')).toBe('y7BD1QY4lQJL-LjYLh_9d0');
  });

  it('come out the same from the run-wide key as from the secret string, a UTF-8 secret included', () => {
    const ascii = imageTokens('gwsim-test-secret');
    const utf8 = imageTokens('ключ');
    expect(ascii('n47abc_imagen4')).toBe('y7BD1QY4lQJL-LjYLh_9d0');
    expect(utf8('n47abc_imagen4')).toBe('S51Bx5jkaF80w5LQ_Jqbiq');
    for (const id of ['a', 'n47zzz_flux2', 'x'.repeat(200)])
      expect(ascii(id)).toBe(imageToken('gwsim-test-secret', id));
  });
});
