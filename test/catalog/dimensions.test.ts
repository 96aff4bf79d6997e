import { describe, expect, it } from 'vitest';
import type { ModelEntry } from '../../src/catalog/catalog-schema.js';
import { applyDefaults } from '../../src/catalog/defaults.js';
import { outputDimensions, parseAspectRatio, parseSize, type Dimensions } from '../../src/catalog/dimensions.js';
import { loadCatalog } from '../../src/catalog/load-catalog.js';

const catalog = loadCatalog();

const model = (id: string): ModelEntry => {
  const m = catalog.model(id);
  if (!m) throw new Error(`no model ${id} in the catalog`);
  return m;
};

/** The size of one image of a request for `id` with `body`, the model's defaults applied. */
const dims = (id: string, body: Record<string, unknown> = {}): Dimensions => {
  const m = model(id);
  return outputDimensions(m.output, applyDefaults(m, body));
};

const enumOf = (m: ModelEntry, param: string): string[] => {
  const rule = m.params[param];
  if (!rule || rule.type !== 'string' || !rule.enum) throw new Error(`${m.id} has no enum parameter ${param}`);
  return rule.enum;
};

describe('output dimensions', () => {
  it("cogview-4 size '768*1344' is 768 wide and 1344 high", () => {
    expect(dims('cogview-4', { size: '768*1344' })).toEqual({ width: 768, height: 1344 });
  });

  it('cogview-4 without a size uses its default 1024*1024', () => {
    expect(dims('cogview-4')).toEqual({ width: 1024, height: 1024 });
  });

  it('imagen-4 with its default aspect ratio 1:1 is 1024×1024', () => {
    expect(dims('imagen-4')).toEqual({ width: 1024, height: 1024 });
    expect(dims('imagen-4', { aspect_ratio: '1:1' })).toEqual({ width: 1024, height: 1024 });
  });

  it('imagen-4 16:9 is wider than high, in multiples of 16, near the ratio and the 1K area', () => {
    const { width, height } = dims('imagen-4', { aspect_ratio: '16:9' });
    expect(width).toBeGreaterThan(height);
    expect(width % 16).toBe(0);
    expect(height % 16).toBe(0);
    expect(Math.abs(width / height - 16 / 9)).toBeLessThan(0.03);
    expect(Math.abs((width * height) / (1024 * 1024) - 1)).toBeLessThan(0.05);
  });

  it('imagen-4 9:16 is 16:9 turned on its side', () => {
    const wide = dims('imagen-4', { aspect_ratio: '16:9' });
    expect(dims('imagen-4', { aspect_ratio: '9:16' })).toEqual({ width: wide.height, height: wide.width });
  });

  it('flux-2 at resolution 2K doubles 1K', () => {
    expect(dims('flux-2', { resolution: '1K' })).toEqual({ width: 1024, height: 1024 });
    expect(dims('flux-2', { resolution: '2K' })).toEqual({ width: 2048, height: 2048 });
    // Other ratios: each side doubles, up to the rounding to multiples of 16.
    for (const aspect_ratio of enumOf(model('flux-2'), 'aspect_ratio')) {
      const k1 = dims('flux-2', { aspect_ratio, resolution: '1K' });
      const k2 = dims('flux-2', { aspect_ratio, resolution: '2K' });
      expect(Math.abs(k2.width - 2 * k1.width), `${aspect_ratio} width`).toBeLessThanOrEqual(16);
      expect(Math.abs(k2.height - 2 * k1.height), `${aspect_ratio} height`).toBeLessThanOrEqual(16);
    }
  });

  it('flux-2 without a resolution uses its default 1K', () => {
    expect(dims('flux-2')).toEqual(dims('flux-2', { resolution: '1K' }));
  });

  it('every size and aspect ratio of every model gives positive dimensions that match it', () => {
    let checked = 0;
    for (const m of catalog.models) {
      const resolutions =
        m.output.from === 'aspect_ratio' && m.output.resolution ? enumOf(m, 'resolution') : [undefined];
      for (const value of enumOf(m, m.output.from)) {
        for (const resolution of resolutions) {
          const body = resolution === undefined ? { [m.output.from]: value } : { [m.output.from]: value, resolution };
          const { width, height } = dims(m.id, body);
          const label = `${m.id} ${value} ${resolution ?? ''}`;
          expect(Number.isInteger(width) && width > 0, label).toBe(true);
          expect(Number.isInteger(height) && height > 0, label).toBe(true);
          if (m.output.from === 'size') {
            expect(`${width}*${height}`, label).toBe(value);
          } else {
            const [a, b] = parseAspectRatio(value)!;
            expect(Math.abs(width / height / (a / b) - 1), label).toBeLessThan(0.03);
            expect(width % 16, label).toBe(0);
            expect(height % 16, label).toBe(0);
          }
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(50);
  });
});

describe('size and ratio notation', () => {
  it("reads the gateway's WIDTH*HEIGHT and the common WIDTHxHEIGHT", () => {
    expect(parseSize('1440*720')).toEqual({ width: 1440, height: 720 });
    expect(parseSize('1440x720')).toEqual({ width: 1440, height: 720 });
  });

  it('rejects what is not a size or a ratio', () => {
    for (const bad of ['', '1024', '1024*', '*1024', '1024 * 1024', '-1*5', '1.5*2'])
      expect(parseSize(bad), bad).toBeUndefined();
    for (const bad of ['', '16', '16:', '0:1', '1:0', '16/9', 'a:b'])
      expect(parseAspectRatio(bad), bad).toBeUndefined();
    expect(parseAspectRatio('21:9')).toEqual([21, 9]);
  });
});
