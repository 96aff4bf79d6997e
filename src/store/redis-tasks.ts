import { asArray, GC_GRACE_MS, n, pairs, parseKey } from './redis-base.js';
import { RedisJobs } from './redis-jobs.js';
import type { Authorized, IdempotencyRecord, RateWindow, TaskCreated, TaskCreation, TaskOutcome } from './store.js';
import { taskMeta } from './redis-task-args.js';
import { bookKeys, readOf, reserveArgs } from './redis-job-book.js';

/** gwsimCreateTask's answer, its first four entries. */
function taskOutcome(reply: unknown[]): TaskOutcome {
  switch (String(reply[0])) {
    case 'created':
      return { kind: 'created' };
    case 'unknown_key':
      return { kind: 'unknown_key' };
    case 'insufficient':
      return { kind: 'insufficient', available: Number(reply[1]) };
    case 'duplicate':
      return {
        kind: 'duplicate',
        record: { fingerprint: String(reply[1]), taskId: String(reply[2]) || null, createdAt: Number(reply[3]) },
      };
    case 'limited':
      return { kind: 'limited' };
    default:
      return { kind: 'refused' };
  }
}

/** How long a 'never created' marker is kept: far past any late arrival of its create. */
const MARKER_GC_MS = 60 * 60 * 1000;

/**
 * The Redis store's submit and recovery operations (createTask, resolveCreate, stuck tasks,
 * orphan holds, leases) and its admin reads of claims and windows. Split only to keep files small.
 */
export abstract class RedisTasks extends RedisJobs {
  createTask(c: TaskCreation): Promise<TaskCreated> {
    return this.op('createTask', async () => {
      const { task, at, idempotency: idem, firstStep, booking } = c;
      const [ledger, seq, keyLedger] = this.ledgerKeys(task.key);
      const [, lease, data, perTask] = this.jobKeys();
      const idemTtl = idem?.ttlMs ?? 0;
      const job = firstStep && { ...firstStep.job, taskId: task.id };
      const reply = asArray(
        await this.script(
          booking ? 'gwsimCreateTaskBooked' : 'gwsimCreateTask',
          [
            this.k('key', task.key),
            this.k('holds'),
            ledger,
            seq,
            keyLedger,
            this.k('idem', idem?.scope ?? ''),
            this.k('created', task.id),
            lease,
            data,
            perTask,
            this.k('rate', task.key),
            ...(booking ? bookKeys(this.prefix, booking.node) : []),
          ],
          [
            this.prefix,
            task.id,
            task.key,
            n(task.held, 'task.held'),
            n(at, 'at'),
            JSON.stringify(task),
            taskMeta(task),
            task.status,
            task.model,
            c.deadline === undefined ? '' : n(c.deadline, 'deadline'),
            idem?.fingerprint ?? '',
            n(idemTtl, 'ttlMs'),
            n(idem?.pendingTtlMs ?? 0, 'pendingTtlMs'),
            String(Math.max(1, Math.ceil(idemTtl * 2 + GC_GRACE_MS))),
            job?.id ?? '',
            firstStep ? n(firstStep.leasedUntil, 'leasedUntil') : '0',
            job ? JSON.stringify(job) : '',
            c.authorize === undefined ? '' : n(c.authorize, 'authorize'),
            String(GC_GRACE_MS),
            ...(booking ? reserveArgs('new', booking.reservation, 'place') : []),
          ],
        ),
      );
      const outcome = taskOutcome(reply);
      // After an admission or a booking: the answer padded to 4, the booked job and its place
      // ('' when none), then after an admission the window and the key's hash.
      if (reply.length <= 4) return outcome;
      const booked = reply[4] === '' ? undefined : readOf([reply[4], reply[5]]);
      const admitted: Authorized | undefined =
        reply.length > 6
          ? { window: { count: Number(reply[6]), resetAt: Number(reply[7]) }, key: parseKey(pairs(reply, 8)) }
          : undefined;
      return { ...outcome, ...(admitted ? { admitted } : {}), ...(booked ? { booked } : {}) };
    });
  }

  resolveCreate(taskId: string): Promise<boolean> {
    return this.op('resolveCreate', async () => {
      const reply = await this.script(
        'gwsimResolveCreate',
        [this.k('created', taskId), this.k('task', taskId)],
        [String(MARKER_GC_MS)],
      );
      return Number(reply) === 1;
    });
  }

  stuckTasks(limit: number): Promise<string[]> {
    return this.op('stuckTasks', async () => {
      const reply = await this.script(
        'gwsimStuckTasks',
        [
          this.k('tasks', 'status', 'IN_QUEUE'),
          this.k('tasks', 'status', 'IN_PROGRESS'),
          this.k('jobs', 'task'),
          this.k('reconcile', 'cursor'),
        ],
        [this.prefix, String(Math.max(1, Math.trunc(limit)))],
      );
      return asArray(reply).map(String).slice(0, limit);
    });
  }

  orphanHolds(limit: number): Promise<string[]> {
    return this.op('orphanHolds', async () => {
      const reply = await this.script(
        'gwsimOrphanHolds',
        [this.k('holds'), this.k('reconcile', 'cursor')],
        [this.prefix, String(Math.max(1, Math.trunc(limit)))],
      );
      return asArray(reply).map(String).slice(0, limit);
    });
  }

  /** The lease follows Redis's own expiry (real time); `now` is for the memory store. */
  lease(name: string, owner: string, ttlMs: number, _now: number): Promise<boolean> {
    return this.op('lease', async () => {
      const reply = await this.script('gwsimLease', [this.k('lease', name)], [owner, n(Math.ceil(ttlMs), 'ttlMs')]);
      return Number(reply) === 1;
    });
  }

  readIdempotency(
    scope: string,
    at: number,
    ttlMs: number,
    pendingTtlMs: number,
  ): Promise<IdempotencyRecord | undefined> {
    return this.op('readIdempotency', async () => {
      const [fingerprint, taskId, createdAt] = await this.client.hmget(
        this.k('idem', scope),
        'fingerprint',
        'taskId',
        'createdAt',
      );
      if (fingerprint === null || fingerprint === undefined) return undefined;
      const age = at - Number(createdAt);
      if (age >= ttlMs || (!taskId && age >= pendingTtlMs)) return undefined;
      return { fingerprint, taskId: taskId ?? null, createdAt: Number(createdAt) };
    });
  }

  idempotencyClaims(): Promise<Record<string, IdempotencyRecord>> {
    return this.op('idempotencyClaims', async () => {
      const out: Record<string, IdempotencyRecord> = {};
      for (const [name, h] of await this.scanHashes('idem:')) {
        if (h.fingerprint === undefined) continue;
        out[name] = { fingerprint: h.fingerprint, taskId: h.taskId ?? null, createdAt: Number(h.createdAt) };
      }
      return out;
    });
  }

  rateWindows(): Promise<Record<string, RateWindow>> {
    return this.op('rateWindows', async () => {
      const out: Record<string, RateWindow> = {};
      for (const [name, h] of await this.scanHashes('rate:'))
        if (h.count !== undefined) out[name] = { count: Number(h.count), resetAt: Number(h.resetAt) };
      return out;
    });
  }

  /** Every hash under `P <part>`, by the rest of its name (SCAN, then HGETALL in one pipeline). */
  private async scanHashes(part: string): Promise<[string, Record<string, string>][]> {
    const head = this.prefix + part;
    const match = head.replace(/[*?[\]\\]/g, '\\$&') + '*';
    const names: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await this.client.scan(cursor, 'MATCH', match, 'COUNT', 1000);
      cursor = next;
      names.push(...keys);
    } while (cursor !== '0');
    const pipe = this.client.pipeline();
    for (const name of names) pipe.hgetall(name);
    const replies = (await pipe.exec()) ?? [];
    return names.map((name, i) => {
      const value = replies[i]?.[1];
      return [name.slice(head.length), value && typeof value === 'object' ? (value as Record<string, string>) : {}];
    });
  }
}
