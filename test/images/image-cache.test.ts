import { describe, expect, it, vi } from 'vitest';
import { ImageCache } from '../../src/images/image-cache.js';

const buf = (n: number, fill = 0): Buffer => Buffer.alloc(n, fill);

describe('ImageCache', () => {
  it('returns the same Buffer on a hit without rendering again', () => {
    const cache = new ImageCache(1000);
    const render = vi.fn(() => buf(100));
    const first = cache.get('a', render);
    const second = cache.get('a', render);
    expect(second).toBe(first);
    expect(render).toHaveBeenCalledTimes(1);
    expect(cache.size).toBe(1);
    expect(cache.bytes).toBe(100);
  });

  it('evicts the least recently used entries beyond maxBytes', () => {
    const cache = new ImageCache(300);
    cache.get('a', () => buf(100));
    cache.get('b', () => buf(100));
    cache.get('c', () => buf(100));
    cache.get('a', () => buf(100)); // touch a: b is now least recently used
    cache.get('d', () => buf(100)); // evicts b
    expect(cache.size).toBe(3);
    expect(cache.bytes).toBe(300);

    const rerender = vi.fn(() => buf(100));
    cache.get('a', rerender);
    cache.get('c', rerender);
    cache.get('d', rerender);
    expect(rerender).not.toHaveBeenCalled();
    cache.get('b', rerender); // b was evicted; re-adding it evicts a (now oldest)
    expect(rerender).toHaveBeenCalledTimes(1);
    cache.get('a', rerender);
    expect(rerender).toHaveBeenCalledTimes(2);
  });

  it('evicts as many entries as needed for a large item', () => {
    const cache = new ImageCache(300);
    cache.get('a', () => buf(100));
    cache.get('b', () => buf(100));
    cache.get('c', () => buf(100));
    cache.get('big', () => buf(250));
    expect(cache.size).toBe(1);
    expect(cache.bytes).toBe(250);
  });

  it('keeps an item exactly the size of the budget', () => {
    const cache = new ImageCache(300);
    cache.get('a', () => buf(300));
    expect(cache.size).toBe(1);
    expect(cache.bytes).toBe(300);
  });

  it('returns but does not keep an item larger than the budget', () => {
    const cache = new ImageCache(300);
    cache.get('a', () => buf(100));
    const render = vi.fn(() => buf(301, 7));
    const big = cache.get('big', render);
    expect(big.length).toBe(301);
    expect(cache.size).toBe(1);
    expect(cache.bytes).toBe(100);
    cache.get('big', render);
    expect(render).toHaveBeenCalledTimes(2);
  });

  it('clear() empties the cache', () => {
    const cache = new ImageCache(1000);
    cache.get('a', () => buf(100));
    cache.get('b', () => buf(200));
    expect(cache.size).toBe(2);
    expect(cache.bytes).toBe(300);
    cache.clear();
    expect(cache.size).toBe(0);
    expect(cache.bytes).toBe(0);
    const render = vi.fn(() => buf(100));
    cache.get('a', render);
    expect(render).toHaveBeenCalledTimes(1);
  });

  it('rejects a negative budget', () => {
    expect(() => new ImageCache(-1)).toThrow(RangeError);
  });
});
