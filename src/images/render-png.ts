import { constants, crc32, deflateSync } from 'node:zlib';
import { mix32 } from '../rng/rng.js';

export interface PngSpec {
  width: number;
  height: number;
  seed: number;
}

const MAX_SIDE = 16384;
const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

// zlib.crc32 exists on every Node this package supports (engines >= 20.19).
function chunk(type: string, data: Buffer): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'latin1');
  data.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/**
 * Renders a deterministic placeholder PNG: a grid of coloured blocks whose palette and
 * layout come from `seed`. It is an 8-bit indexed PNG so a pixel is one byte, and every
 * row inside a block band repeats the one above it, so it is stored with the "Up" filter
 * as all zeros; deflate then has almost nothing to do, even at 4096×4096.
 */
export function renderPng({ width, height, seed }: PngSpec): Buffer {
  for (const [name, v] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (!Number.isInteger(v) || v < 1 || v > MAX_SIDE) {
      throw new RangeError(`${name} must be an integer in 1..${MAX_SIDE}, got ${v}`);
    }
  }
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);

  // Fold all 53 bits of the seed into one 32-bit state, then draw values from it.
  let state = mix32(mix32(seed >>> 0) ^ (Math.floor(seed / 2 ** 32) >>> 0));
  const next = (): number => (state = mix32(state));

  // 16 colours; the low nibble of red is the index, so no two entries can be equal.
  const plte = Buffer.alloc(16 * 3);
  for (let i = 0; i < 16; i++) {
    const c = next();
    plte[i * 3] = (c & 0xf0) | i;
    plte[i * 3 + 1] = (c >>> 8) & 0xff;
    plte[i * 3 + 2] = (c >>> 16) & 0xff;
  }

  // Grid of 2..9 × 2..9 cells. Colour index = (a·col + b·row + c) mod 16 with odd `a`
  // and odd `b`, so neighbouring cells always differ and no image larger than 1×1 is flat.
  const cols = 2 + (next() % 8);
  const rows = 2 + (next() % 8);
  const a = next() | 1;
  const b = next() | 1;
  const c = next();
  const cellW = Math.ceil(width / cols);
  const cellH = Math.ceil(height / rows);

  const stride = width + 1; // filter byte + one index byte per pixel
  const raw = Buffer.alloc(stride * height); // zero-filled: an "Up" row of zeros copies the row above
  for (let y = 0; y < height; y++) {
    const off = y * stride;
    if (y % cellH !== 0) {
      raw[off] = 2; // filter Up, data stays zero
      continue;
    }
    const row = Math.floor(y / cellH);
    for (let col = 0; col < cols; col++) {
      const x0 = col * cellW;
      if (x0 >= width) break;
      const index = (Math.imul(a, col) + Math.imul(b, row) + c) & 15;
      raw.fill(index, off + 1 + x0, off + 1 + Math.min(width, x0 + cellW));
    }
  }

  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 3; // colour type: indexed
  // bytes 10..12: compression, filter method, interlace — all 0

  // The data is long runs of one byte, which Z_RLE encodes as well as a full search, faster.
  const idat = deflateSync(raw, { level: 1, strategy: constants.Z_RLE });

  return Buffer.concat([
    SIGNATURE,
    chunk('IHDR', ihdr),
    chunk('PLTE', plte),
    chunk('IDAT', idat),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
