import type { BookedJob } from '../nodes/job-book.js';

/**
 * A node's finished jobs, the newest `keep` of them, as columns in a ring rather than one object
 * per job: a finished job never changes, and a long run keeps up to 100k of them per node. As
 * objects each was a record and three boxed times (about 160 bytes and four objects the garbage
 * collector walks and copies); here it is about 56 bytes in arrays and no object. A read builds
 * the record again, field by field in one order (one hidden class, as the book's own).
 */
export class FinishedJobs {
  /** Job id → its slot in the ring. */
  private slots = new Map<string, number>();
  private ids: string[] = [];
  private models: string[] = [];
  private modelIds: string[] = [];
  private submittedAts: number[] = [];
  private seqs: number[] = [];
  private startAts: number[] = [];
  private finishAts: number[] = [];
  private widths: number[] = [];
  private heights: number[] = [];
  private numImages: number[] = [];
  private errors: Array<BookedJob['error']> = [];
  /** The slot the next job goes in: once the ring is full, the oldest job's. */
  private next = 0;

  constructor(private readonly keep: number) {}

  get size(): number {
    return this.slots.size;
  }

  /** Keeps a finished job (planned: its start and finish known), forgetting the oldest beyond `keep`. */
  add(job: BookedJob): void {
    if (this.keep <= 0) return;
    const i = this.next;
    this.next = (i + 1) % this.keep;
    if (i < this.ids.length) {
      const old = this.ids[i] ?? '';
      if (this.slots.get(old) === i) this.slots.delete(old);
    }
    this.put(i, job);
    this.slots.set(job.id, i);
  }

  get(id: string): BookedJob | undefined {
    const i = this.slots.get(id);
    if (i === undefined) return undefined;
    return {
      id: this.ids[i] ?? id,
      model: this.models[i] ?? '',
      modelId: this.modelIds[i] ?? '',
      submittedAt: this.submittedAts[i] ?? 0,
      seq: this.seqs[i] ?? 0,
      startAt: this.startAts[i] ?? null,
      finishAt: this.finishAts[i] ?? null,
      width: this.widths[i] ?? 0,
      height: this.heights[i] ?? 0,
      numImages: this.numImages[i] ?? 0,
      error: this.errors[i] ?? null,
    };
  }

  /** Forgets one job (a fixture put over its id); its slot stays until the ring comes round. */
  delete(id: string): void {
    this.slots.delete(id);
  }

  clear(): void {
    this.slots.clear();
    for (const column of [this.submittedAts, this.seqs, this.startAts, this.finishAts, this.widths, this.heights])
      column.length = 0;
    for (const column of [this.ids, this.models, this.modelIds]) column.length = 0;
    this.numImages.length = 0;
    this.errors.length = 0;
    this.next = 0;
  }

  /** Writes the job's fields at slot i: appended while the ring fills (i is then its length), over the oldest after. */
  private put(i: number, job: BookedJob): void {
    this.ids[i] = job.id;
    this.models[i] = job.model;
    this.modelIds[i] = job.modelId;
    this.submittedAts[i] = job.submittedAt;
    this.seqs[i] = job.seq;
    this.startAts[i] = job.startAt ?? 0;
    this.finishAts[i] = job.finishAt ?? 0;
    this.widths[i] = job.width;
    this.heights[i] = job.height;
    this.numImages[i] = job.numImages;
    this.errors[i] = job.error;
  }
}
