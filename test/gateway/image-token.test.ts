import { describe, expect, it } from 'vitest';
import { imageToken, imageTokens, randomImageTokens, runImageTokens } from '../../src/images/image-token.js';

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

  it('without a url_secret are 128 random bits each, in the same 22 characters, never drawn twice', () => {
    const next = randomImageTokens();
    // Past two refills of the pool (256 tokens each): a refill that re-used bytes would repeat tokens.
    const drawn = Array.from({ length: 600 }, next);
    for (const t of drawn) expect(t).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(new Set(drawn).size).toBe(drawn.length);
    // Two runs draw different tokens; a configured secret gives the HMAC, the same on every start.
    expect(randomImageTokens()()).not.toBe(randomImageTokens()());
    expect(runImageTokens('gwsim-test-secret')('n47abc_imagen4')).toBe('y7BD1QY4lQJL-LjYLh_9d0');
    expect(runImageTokens(undefined)('n47abc_imagen4')).not.toBe(runImageTokens(undefined)('n47abc_imagen4'));
  });
});
