import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { hmacSha256, MAX_ONE_BLOCK } from '../../src/images/hmac-sha256.js';
import { imageToken, imageTokens } from '../../src/images/image-token.js';
import { createRng, randomString } from '../../src/rng/rng.js';

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

  it('are the same from the precomputed-midstate HMAC as from createHmac, for every id length and key length', () => {
    const rng = createRng(7);
    // Keys: empty, short, UTF-8, exactly one block, over a block (hashed first, as HMAC says).
    for (const secret of ['', 'gwsim-test-secret', 'ключ', 'k'.repeat(64), 'k'.repeat(65), 'q'.repeat(300)]) {
      const tokens = imageTokens(secret);
      // Lengths around the one-block limit (55), past it (createHmac's path), and a non-ASCII id.
      for (let length = 0; length <= MAX_ONE_BLOCK + 10; length++)
        for (let i = 0; i < 5; i++) {
          const id = randomString(rng, length);
          expect(tokens(id)).toBe(imageToken(secret, id));
        }
      expect(tokens('n47é_imagen4')).toBe(imageToken(secret, 'n47é_imagen4'));
    }
  });

  it('give the whole HMAC-SHA256 digest, and decline what they cannot take', () => {
    const key = Buffer.from('gwsim-test-secret');
    const digest = hmacSha256(key);
    const out = new Int32Array(8);
    expect(digest('n47abc_imagen4', out)).toBe(true);
    expect(
      Buffer.from(out.map((w) => (w >>> 24) | ((w >>> 8) & 0xff00) | ((w & 0xff00) << 8) | (w << 24) | 0).buffer),
    ).toEqual(createHmac('sha256', key).update('n47abc_imagen4').digest());
    const before = out.slice();
    expect(digest('x'.repeat(MAX_ONE_BLOCK + 1), out)).toBe(false);
    expect(digest('é', out)).toBe(false);
    expect(out).toEqual(before);
  });
});
