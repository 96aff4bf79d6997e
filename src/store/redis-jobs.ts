import { asArray, n, RedisBase } from './redis-base.js';
import type { TaskRecord } from '../gateway/task.js';
import { taskArgs } from './redis-task-args.js';
import type { JobMove, ScheduledJob } from './store.js';

/** The job's JSON as stored: only the fields of ScheduledJob (a caller's object may carry more). */
function stored(job: ScheduledJob): string {
  const copy: ScheduledJob = { id: job.id, due: job.due, kind: job.kind, payload: job.payload };
  if (job.taskId !== undefined) copy.taskId = job.taskId;
  if (job.group !== undefined) copy.group = job.group;
  return JSON.stringify(copy);
}

const parse = (reply: unknown): ScheduledJob[] =>
  asArray(reply).map((json) => JSON.parse(String(json)) as ScheduledJob);

/**
 * The Redis store's stored steps (scripts in redis-job-scripts.ts). Layout under the prefix P:
 * P jobs:due / P jobs:lease (zsets), P jobs:data (hash id → JSON), P jobs:task (hash task →
 * pending steps), P jobs:group:<group> (zset of a group's unclaimed jobs by due). Split only to
 * keep files small.
 */
export abstract class RedisJobs extends RedisBase {
  /** The job scripts' KEYS, named once (the prefix is fixed): every submit and claim passes them. */
  private readonly jobKeyNames: readonly [string, string, string, string] = [
    this.k('jobs', 'due'),
    this.k('jobs', 'lease'),
    this.k('jobs', 'data'),
    this.k('jobs', 'task'),
  ];

  protected jobKeys(): readonly [string, string, string, string] {
    return this.jobKeyNames;
  }

  scheduleJob(job: ScheduledJob): Promise<void> {
    return this.op('scheduleJob', async () => {
      await this.script('gwsimScheduleJob', this.jobKeys(), [
        this.prefix,
        job.id,
        n(job.due, 'job.due'),
        stored(job),
        job.taskId ?? '',
      ]);
    });
  }

  claimDueJobs(now: number, limit: number, leaseMs: number): Promise<ScheduledJob[]> {
    return this.op('claimDueJobs', async () => {
      const max = limit === Infinity ? -1 : Math.max(0, Math.trunc(limit));
      return parse(
        await this.script('gwsimClaimDueJobs', this.jobKeys(), [
          n(now, 'now'),
          String(max),
          n(now + leaseMs, 'now + leaseMs'),
          this.prefix,
        ]),
      );
    });
  }

  completeJob(id: string, next: readonly ScheduledJob[] = [], task?: TaskRecord): Promise<void> {
    return this.op('completeJob', async () => {
      const args = [this.prefix, id, String(next.length)];
      for (const job of next) args.push(job.id, n(job.due, 'job.due'), stored(job), job.taskId ?? '');
      if (task) args.push(...taskArgs(task));
      await this.script('gwsimCompleteJob', this.jobKeys(), args);
    });
  }

  renewJobs(ids: readonly string[], until: number): Promise<void> {
    return this.op('renewJobs', async () => {
      if (ids.length === 0) return;
      await this.script('gwsimRenewJobs', this.jobKeys(), [n(until, 'until'), ...ids]);
    });
  }

  groupJobs(group: string): Promise<ScheduledJob[]> {
    return this.op('groupJobs', async () =>
      parse(await this.script('gwsimGroupJobs', this.jobKeys(), [this.prefix, group])),
    );
  }

  moveJobs(moves: readonly JobMove[]): Promise<number> {
    return this.op('moveJobs', async () => {
      if (moves.length === 0) return 0;
      const args = [this.prefix];
      for (const { job, fromDue } of moves)
        args.push(job.id, n(fromDue, 'fromDue'), n(job.due, 'job.due'), stored(job));
      return Number(await this.script('gwsimMoveJobs', this.jobKeys(), args));
    });
  }

  pendingJobs(): Promise<number> {
    return this.op('pendingJobs', () => this.client.hlen(this.k('jobs', 'data')));
  }
}
