import {
  earliestStart,
  timelineFrom,
  type BookedJob,
  type BookRead,
  type JobBook,
  type Reservation,
} from '../nodes/job-book.js';
import { FinishedJobs } from './memory-finished-jobs.js';
import { DEFAULT_KEEP_FINISHED } from './memory-retention.js';
import { SortedEntries } from './memory-sorted.js';

type Timeline = Pick<BookedJob, 'startAt' | 'finishAt' | 'error'>;

/**
 * A booked job built field by field in one order, never by spreading: V8 gives an object made by
 * `{ ...a, seq, ...b }` a hidden class of its own (about 420 bytes of map and descriptors, more
 * than the job itself), where one literal shares one class across every job.
 */
const bookedJob = (j: Reservation['job'], seq: number, t: Timeline): BookedJob => ({
  id: j.id,
  model: j.model,
  modelId: j.modelId,
  submittedAt: j.submittedAt,
  seq,
  startAt: t.startAt,
  finishAt: t.finishAt,
  width: j.width,
  height: j.height,
  numImages: j.numImages,
  error: t.error,
});

/** Waiting with no known start: sorts after every real time, as `inf` in the Redis ZSET. */
const NEVER = Infinity;

/** One node's job book in this process (the memory store, `gwsim node`). */
export class MemoryJobBook implements JobBook {
  /** Jobs not yet moved to `finished`: waiting, running, just finished (until the next prune), and fixtures. */
  private jobs = new Map<string, BookedJob>();
  private starts = new SortedEntries();
  private finishes = new SortedEntries(true);
  private seq = 0;
  /** Seqs of the jobs waiting with no known start, FIFO. */
  private waiting: number[] = [];
  /** Finished jobs in finish order, the newest `keepFinished`: the oldest is forgotten as another finishes. */
  private finished: FinishedJobs;

  /** keepFinished: the finished jobs kept (the newest that many), so a long run does not grow. */
  constructor(keepFinished: number = DEFAULT_KEEP_FINISHED) {
    this.finished = new FinishedJobs(keepFinished);
  }

  private job(id: string): BookedJob | undefined {
    return this.jobs.get(id) ?? this.finished.get(id);
  }

  reserve(r: Reservation): Promise<BookedJob> {
    const known = this.job(r.job.id);
    if (known) return Promise.resolve(known);
    this.prune(r.now);
    const job = bookedJob(r.job, ++this.seq, this.timeline(r, this.waiting.length > 0));
    this.book(job);
    this.jobs.set(job.id, job);
    return Promise.resolve(job);
  }

  replan(r: Reservation): Promise<BookedJob | undefined> {
    const job = this.jobs.get(r.job.id);
    if (!job || job.fixed || job.startAt !== null || this.waiting[0] !== job.seq) return Promise.resolve(undefined);
    this.waiting.shift();
    this.starts.remove(NEVER, job.seq);
    const planned = bookedJob(job, job.seq, this.timeline(r, false));
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
    this.finished.delete(job.id);
    this.jobs.set(job.id, job);
    return Promise.resolve();
  }

  read(id: string, now: number): Promise<BookRead | undefined> {
    const job = this.job(id);
    if (!job) return Promise.resolve(undefined);
    let queuePosition: number | null = null;
    if (job.fixed) queuePosition = job.fixed === 'queued' ? 1 : null;
    else if (job.startAt === null || now < job.startAt)
      queuePosition = this.starts.rank(job.startAt ?? NEVER, job.seq) - this.starts.atOrBefore(now) + 1;
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
    this.starts.clear();
    this.finishes.clear();
    this.seq = 0;
    this.waiting = [];
    this.finished.clear();
    return Promise.resolve();
  }

  /** The job's timeline on the slots (FIFO: `blocked` behind a job still waiting with no known start). */
  private timeline(r: Reservation, blocked: boolean): Timeline {
    return timelineFrom(blocked ? null : earliestStart(r, (n) => this.finishes.nthFromEnd(n)), r);
  }

  /** Puts a planned job on the slots. */
  private book(planned: BookedJob): void {
    if (planned.startAt === null) this.waiting.push(planned.seq);
    this.starts.add(planned.startAt ?? NEVER, planned.seq);
    // A job with no known start holds no slot: only planned jobs are in the finishes.
    if (planned.finishAt !== null) this.finishes.add(planned.finishAt, planned.seq, planned.id);
  }

  /** Moves the jobs finished by `now` off the slots into `finished` (which forgets the oldest beyond `keepFinished`). */
  private prune(now: number): void {
    this.starts.prune(now);
    for (const id of this.finishes.prune(now)) {
      const job = this.jobs.get(id);
      // A fixture put over a finished job's id stays where it is.
      if (!job || job.fixed || job.finishAt === null || job.finishAt > now) continue;
      this.jobs.delete(id);
      this.finished.add(job);
    }
  }
}
