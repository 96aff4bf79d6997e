import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { renderPng } from '../../src/images/render-png.js';

function distinctColours(png: PNG): number {
  const seen = new Set<number>();
  for (let i = 0; i < png.data.length; i += 4) seen.add(png.data.readUInt32BE(i));
  return seen.size;
}

describe('renderPng', () => {
  it.each([
    [16, 16],
    [1024, 1024],
    [1344, 768],
    [720, 1440],
    [1, 1],
    [17, 3],
  ])('decodes to a %i×%i image', (width, height) => {
    const png = PNG.sync.read(renderPng({ width, height, seed: 42 }));
    expect(png.width).toBe(width);
    expect(png.height).toBe(height);
    expect(png.data.length).toBe(width * height * 4);
  });

  it('is an 8-bit indexed PNG', () => {
    const buf = renderPng({ width: 64, height: 32, seed: 1 });
    expect(buf.subarray(12, 16).toString('latin1')).toBe('IHDR');
    expect(buf[24]).toBe(8); // bit depth
    expect(buf[25]).toBe(3); // colour type
  });

  it('is deterministic for the same seed and size', () => {
    const a = renderPng({ width: 1344, height: 768, seed: 123456789 });
    const b = renderPng({ width: 1344, height: 768, seed: 123456789 });
    expect(a.equals(b)).toBe(true);
  });

  it('differs between seeds', () => {
    const seeds = [0, 1, 2, 3, -1, 2 ** 32, 2 ** 32 + 1, Number.MAX_SAFE_INTEGER];
    const images = seeds.map((seed) => renderPng({ width: 64, height: 64, seed }).toString('base64'));
    expect(new Set(images).size).toBe(seeds.length);
  });

  it('is never a single flat colour', () => {
    for (let seed = 0; seed < 50; seed++) {
      for (const [width, height] of [
        [16, 16],
        [2, 2],
        [1, 2],
        [96, 40],
      ] as const) {
        const png = PNG.sync.read(renderPng({ width, height, seed }));
        expect(distinctColours(png)).toBeGreaterThanOrEqual(2);
      }
    }
    expect(distinctColours(PNG.sync.read(renderPng({ width: 720, height: 1440, seed: 7 })))).toBeGreaterThanOrEqual(2);
  });

  it('rejects invalid sizes and seeds', () => {
    expect(() => renderPng({ width: 0, height: 16, seed: 1 })).toThrow(RangeError);
    expect(() => renderPng({ width: 16, height: 1.5, seed: 1 })).toThrow(RangeError);
    expect(() => renderPng({ width: 16, height: 16, seed: 0.5 })).toThrow(RangeError);
  });
});
