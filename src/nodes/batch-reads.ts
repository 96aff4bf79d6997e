import type { Job } from './node-emulator.js';
import { MAX_BATCH_IDS } from './job-batch.js';

/** The node client's CallHooks (kept structural: the client imports this file). */
interface CallHooks {
  onHung?: (deadline: number) => void;
}

interface PendingRead {
  id: string;
  hooks: CallHooks | undefined;
  resolve: (job: Job | undefined) => void;
  reject: (err: unknown) => void;
}

export interface BatchReadCalls {
  one(id: string, hooks?: CallHooks): Promise<Job | undefined>;
  /** The jobs the node knows of `ids`, by id (a batch read). */
  many(ids: readonly string[], hooks: CallHooks): Promise<Map<string, Job>>;
  /**
   * What a batch's failure means: `route`, the node has no batch route (read one by one from
   * now on); `batch`, it refused this batch as a request (read these one by one); `shared`, a
   * failure each read would have met (a refused connection, a timeout, a 5xx).
   */
  refusal(err: unknown): 'route' | 'batch' | 'shared';
}

/**
 * Job reads asked for in the same turn of the event loop (the real clock fires every due poll
 * in one turn) go to the node as one batch read of up to MAX_BATCH_IDS; a lone read stays a plain
 * `GET /v1/jobs/{id}`. Each caller gets what its own read would: its job, undefined for a job the
 * node does not know, or the call's error. A node without the batch route (404/405) is read one
 * job at a time from then on; one that refuses a batch as a bad request, for that batch.
 */
export class BatchReads {
  private pending: PendingRead[] = [];
  private supported = true;

  constructor(private readonly calls: BatchReadCalls) {}

  read(id: string, hooks?: CallHooks): Promise<Job | undefined> {
    if (!this.supported) return this.calls.one(id, hooks);
    return new Promise((resolve, reject) => {
      this.pending.push({ id, hooks, resolve, reject });
      if (this.pending.length === 1) setImmediate(() => this.flush());
      else if (this.pending.length >= MAX_BATCH_IDS) this.flush();
    });
  }

  private flush(): void {
    const reads = this.pending.splice(0);
    const ids = [...new Set(reads.map((r) => r.id))];
    if (ids.length === 0) return;
    if (ids.length === 1 || !this.supported) {
      for (const r of reads) this.calls.one(r.id, r.hooks).then(r.resolve, r.reject);
      return;
    }
    const hooks: CallHooks = { onHung: (deadline) => reads.forEach((r) => r.hooks?.onHung?.(deadline)) };
    this.calls.many(ids, hooks).then(
      (jobs) => reads.forEach((r) => r.resolve(jobs.get(r.id))),
      (err: unknown) => {
        const refusal = this.calls.refusal(err);
        if (refusal === 'shared') return reads.forEach((r) => r.reject(err));
        if (refusal === 'route') this.supported = false;
        for (const r of reads) this.calls.one(r.id, r.hooks).then(r.resolve, r.reject);
      },
    );
  }
}
