/**
 * A least-recently-used cache of rendered images, bounded by their total size in bytes.
 * A Map iterates in insertion order, so re-inserting on every hit keeps the least
 * recently used entry first, and eviction just takes entries from the front.
 */
export class ImageCache {
  readonly #maxBytes: number;
  readonly #entries = new Map<string, Buffer>();
  #bytes = 0;

  constructor(maxBytes: number) {
    if (!(maxBytes >= 0)) throw new RangeError(`maxBytes must be a non-negative number, got ${maxBytes}`);
    this.#maxBytes = maxBytes;
  }

  /** Number of cached entries. */
  get size(): number {
    return this.#entries.size;
  }

  /** Total bytes of the cached entries. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Returns the cached image for `key`, calling `render` only on a miss. */
  get(key: string, render: () => Buffer): Buffer {
    const hit = this.#entries.get(key);
    if (hit !== undefined) {
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      return hit;
    }
    const image = render();
    // An image larger than the whole budget would evict everything and then itself.
    if (image.length > this.#maxBytes) return image;
    this.#entries.set(key, image);
    this.#bytes += image.length;
    for (const [oldKey, old] of this.#entries) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#entries.delete(oldKey);
      this.#bytes -= old.length;
    }
    return image;
  }

  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }
}
