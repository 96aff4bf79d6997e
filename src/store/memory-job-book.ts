import {
  earliestStart,
  timelineFrom,
  type BookedJob,
  type BookRead,
  type JobBook,
  type Reservation,
} from '../nodes/job-book.js';
import { DEFAULT_KEEP_FINISHED, Fifo } from './memory-retention.js';

/** (time, seq) ordered ascending: the order of a Redis ZSET scored by time with zero-padded seq members. A finish carries its job's id. */
type Entry = readonly [time: number, seq: number, id?: string];
const before = (a: Entry, b: Entry) => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);

/** Entries in (time, seq) order; binary search, so counts and ranks are O(log n). */
class SortedEntries {
  private items: Entry[] = [];
  /** Index of the first entry not before `e`. */
  private lower(e: Entry): number {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (before(this.items[mid]!, e)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
  add(e: Entry): void {
    this.items.splice(this.lower(e), 0, e);
  }
  remove(e: Entry): void {
    const i = this.lower(e);
    const found = this.items[i];
    if (found && found[0] === e[0] && found[1] === e[1]) this.items.splice(i, 1);
  }
  rank(e: Entry): number {
    return this.lower(e);
  }
  /** Entries with time <= t. */
  atOrBefore(t: number): number {
    return this.lower([t, Infinity]);
  }
  get size(): number {
    return this.items.length;
  }
  /** The time of the n-th entry from the end (1 = the last), -Infinity with fewer. */
  nthFromEnd(n: number): number {
    return this.items[this.items.length - n]?.[0] ?? -Infinity;
  }
  /** Drops entries with time <= t (they no longer count as queued or running) and returns them. */
  prune(t: number): Entry[] {
    const n = this.atOrBefore(t);
    return n > 0 ? this.items.splice(0, n) : [];
  }
}

/** Waiting with no known start: sorts after every real time, as `inf` in the Redis ZSET. */
const NEVER = Infinity;

/** One node's job book in this process (the memory store, `gwsim node`). */
export class MemoryJobBook implements JobBook {
  private jobs = new Map<string, BookedJob>();
  private starts = new SortedEntries();
  private finishes = new SortedEntries();
  private seq = 0;
  /** Seqs of the jobs waiting with no known start, FIFO. */
  private waiting: number[] = [];
  /** Ids of finished jobs in finish order: the oldest is forgotten once more than `keepFinished` are. */
  private finished = new Fifo<string>();

  /** keepFinished: the finished jobs kept (the newest that many), so a long run does not grow. */
  constructor(private readonly keepFinished: number = DEFAULT_KEEP_FINISHED) {}

  reserve(r: Reservation): Promise<BookedJob> {
    const known = this.jobs.get(r.job.id);
    if (known) return Promise.resolve(known);
    this.prune(r.now);
    const job: BookedJob = { ...r.job, seq: ++this.seq, ...this.timeline(r, this.waiting.length > 0) };
    this.book(job);
    this.jobs.set(job.id, job);
    return Promise.resolve(job);
  }

  replan(r: Reservation): Promise<BookedJob | undefined> {
    const job = this.jobs.get(r.job.id);
    if (!job || job.fixed || job.startAt !== null || this.waiting[0] !== job.seq) return Promise.resolve(undefined);
    this.waiting.shift();
    this.starts.remove([NEVER, job.seq]);
    const planned: BookedJob = { ...job, ...this.timeline(r, false) };
    this.book(planned);
    if (planned.startAt === null) this.waiting.unshift(this.waiting.pop() ?? job.seq);
    this.jobs.set(job.id, planned);
    return Promise.resolve(planned.startAt === null ? undefined : planned);
  }

  stalled(): Promise<BookedJob[]> {
    const out = [...this.jobs.values()].filter((j) => !j.fixed && j.startAt === null);
    return Promise.resolve(out.sort((a, b) => a.seq - b.seq));
  }

  putFixture(job: BookedJob): Promise<void> {
    this.jobs.set(job.id, job);
    return Promise.resolve();
  }

  read(id: string, now: number): Promise<BookRead | undefined> {
    const job = this.jobs.get(id);
    if (!job) return Promise.resolve(undefined);
    let queuePosition: number | null = null;
    if (job.fixed) queuePosition = job.fixed === 'queued' ? 1 : null;
    else if (job.startAt === null || now < job.startAt)
      queuePosition = this.starts.rank([job.startAt ?? NEVER, job.seq]) - this.starts.atOrBefore(now) + 1;
    return Promise.resolve({ job, queuePosition });
  }

  counts(now: number): Promise<{ running: number; queued: number }> {
    const queued = this.starts.size - this.starts.atOrBefore(now);
    const waitingForGood = this.waiting.length;
    const unfinished = this.finishes.size - this.finishes.atOrBefore(now);
    return Promise.resolve({ running: unfinished - (queued - waitingForGood), queued });
  }

  reset(): Promise<void> {
    this.jobs.clear();
    this.starts = new SortedEntries();
    this.finishes = new SortedEntries();
    this.seq = 0;
    this.waiting = [];
    this.finished.clear();
    return Promise.resolve();
  }

  /** The job's timeline on the slots (FIFO: `blocked` behind a job still waiting with no known start). */
  private timeline(r: Reservation, blocked: boolean): Pick<BookedJob, 'startAt' | 'finishAt' | 'error'> {
    return timelineFrom(blocked ? null : earliestStart(r, (n) => this.finishes.nthFromEnd(n)), r);
  }

  /** Puts a planned job on the slots. */
  private book(planned: BookedJob): void {
    if (planned.startAt === null) this.waiting.push(planned.seq);
    this.starts.add([planned.startAt ?? NEVER, planned.seq]);
    // A job with no known start holds no slot: only planned jobs are in the finishes.
    if (planned.finishAt !== null) this.finishes.add([planned.finishAt, planned.seq, planned.id]);
  }

  /** Moves the jobs finished by `now` off the slots, and forgets the oldest finished ones beyond `keepFinished`. */
  private prune(now: number): void {
    this.starts.prune(now);
    for (const [, , id] of this.finishes.prune(now)) if (id !== undefined) this.finished.push(id);
    while (this.finished.size > this.keepFinished) {
      const id = this.finished.shift();
      const job = id === undefined ? undefined : this.jobs.get(id);
      // A fixture put over a finished job's id stays.
      if (id !== undefined && job && !job.fixed && job.finishAt !== null && job.finishAt <= now) this.jobs.delete(id);
    }
  }
}
