/** How many finished tasks (and, on each node, finished jobs) the in-process parts keep by default. */
export const DEFAULT_KEEP_FINISHED = 100_000;

/** A first-in first-out queue: push and shift are O(1) amortized (the array is compacted as its head moves). */
export class Fifo<T> {
  private items: T[] = [];
  private head = 0;

  push(item: T): void {
    this.items.push(item);
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head++];
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  peek(): T | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }

  get size(): number {
    return this.items.length - this.head;
  }

  clear(): void {
    this.items = [];
    this.head = 0;
  }
}

/**
 * Task ids in creation order, each with its creation number, so a page cursor (a creation number)
 * stays valid while old tasks are dropped. A dropped id is only counted; the arrays are compacted
 * once dropped ids are half of them, so a drop is O(1) amortized.
 */
export class TaskOrder {
  private ids: string[] = [];
  private seqs: number[] = [];
  private next = 0;
  private dropped = 0;

  push(id: string): void {
    this.ids.push(id);
    this.seqs.push(this.next++);
  }

  /** Counts one id as gone; `live` says which ids are still there when the arrays are compacted. */
  drop(live: (id: string) => boolean): void {
    if (++this.dropped * 2 <= this.ids.length || this.ids.length < 1024) return;
    const ids: string[] = [];
    const seqs: number[] = [];
    this.ids.forEach((id, i) => {
      if (!live(id)) return;
      ids.push(id);
      seqs.push(this.seqs[i] ?? 0);
    });
    this.ids = ids;
    this.seqs = seqs;
    this.dropped = 0;
  }

  /** The creation number a page starting now begins below. */
  get end(): number {
    return this.next;
  }

  /** Index of the first id created at or after creation number `seq`. */
  indexOf(seq: number): number {
    let lo = 0;
    let hi = this.seqs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.seqs[mid] ?? 0) < seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  id(i: number): string | undefined {
    return this.ids[i];
  }

  seq(i: number): number {
    return this.seqs[i] ?? 0;
  }

  clear(): void {
    this.ids = [];
    this.seqs = [];
    this.next = 0;
    this.dropped = 0;
  }
}
