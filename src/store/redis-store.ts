import { randomUUID } from 'node:crypto';
import type { TaskRecord } from '../gateway/task.js';
import { asArray, GC_GRACE_MS, n, pairs } from './redis-base.js';
import type { JobBook } from '../nodes/job-book.js';
import { RedisJobBook } from './redis-job-book.js';
import { RedisTasks } from './redis-tasks.js';
import { taskArgs, taskMeta } from './redis-task-args.js';
import { connectClient, DEFAULT_PREFIX, type RedisStoreOptions } from './redis-connect.js';
import type {
  DeliveryRecord,
  FinishDelivery,
  IdempotencyRecord,
  RateLimitPolicy,
  RateWindow,
  SharedSnapshot,
  Store,
  TaskFilter,
  TaskPage,
} from './store.js';

export { DEFAULT_PREFIX, redactUrl, type RedisStoreOptions } from './redis-connect.js';

/**
 * The store on Redis, shared by every gwsim instance that points at the same Redis and prefix.
 * Every multi-step change is one Lua script; records are JSON (tasks, deliveries, jobs, ledger
 * entries) or hashes (keys, idempotency claims, rate windows), so reads are copies by nature.
 *
 * Layout under the prefix P:
 *   P key:<key> (hash), P keys (zset, creation order), P holds (hash task → "amount:key"),
 *   P ledger / P ledger:key:<key> (lists of JSON entries), P ledger:seq (counter),
 *   P task:<id> (JSON), P tasks:meta (hash id → [status, model, key]), P tasks:{status,model,key}:<v> (sets),
 *   P idem:<scope> (hash), P rate:<key> (hash),
 *   P delivery:<id> (JSON), P deliveries (list of ids), P deliveries:task:<task> (list of ids),
 *   P jobs:* (the stored steps: redis-jobs.ts),
 *   P created:<task> ('0': resolved as never created; a created task is its record), P lease:<name>,
 *   P reconcile:cursor (hash).
 *
 * Connection-level failures reject with StoreUnavailableError, quickly: no offline queue, no
 * retry of a command whose connection dropped, a command timeout. ioredis reconnects by itself.
 */
export class RedisStore extends RedisTasks implements Store {
  /**
   * Connect to `url` (redis://[user:pass@]HOST:PORT/DB, or rediss:// for TLS). Fails within about
   * connectTimeoutMs with a StartupError naming the URL when Redis cannot be reached; once
   * connected, reconnects forever with a backoff of up to a second.
   */
  static async connect(url: string, options: RedisStoreOptions = {}): Promise<RedisStore> {
    return new RedisStore(await connectClient(url, options), { prefix: options.prefix ?? DEFAULT_PREFIX, url });
  }

  putTask(task: TaskRecord): Promise<void> {
    return this.op('putTask', async () => {
      await this.script('gwsimPutTask', [], [this.prefix, ...taskArgs(task)]);
    });
  }

  finishTask(
    done: TaskRecord,
    outcome: 'capture' | 'release',
    at: number,
    delivery?: FinishDelivery,
  ): Promise<boolean> {
    return this.op('finishTask', async () => {
      const record = delivery?.record;
      const job = delivery?.firstStep;
      // A plain job: the script indexes no task or group for it.
      const jobJson = job && JSON.stringify({ id: job.id, due: job.due, kind: job.kind, payload: job.payload });
      const reply = await this.script(
        'gwsimFinishTask',
        [this.k('task', done.id), this.k('tasks', 'meta')],
        [
          this.prefix,
          done.id,
          outcome,
          n(at, 'at'),
          JSON.stringify(done),
          taskMeta(done),
          done.status,
          done.model,
          done.key,
          record?.id ?? '',
          record ? JSON.stringify(record) : '',
          job?.id ?? '',
          job ? n(job.due, 'job.due') : '0',
          jobJson ?? '',
        ],
      );
      return Number(reply) === 1;
    });
  }

  getTask(id: string): Promise<TaskRecord | undefined> {
    return this.op('getTask', async () => {
      const json = await this.client.get(this.k('task', id));
      return json === null ? undefined : (JSON.parse(json) as TaskRecord);
    });
  }

  /** Filtered through set indexes; ordered by creation time, then id. */
  listTasks(filter: TaskFilter): Promise<TaskRecord[]> {
    return this.op('listTasks', async () => {
      const sets: string[] = [];
      if (filter.status !== undefined) sets.push(this.k('tasks', 'status', filter.status));
      if (filter.model !== undefined) sets.push(this.k('tasks', 'model', filter.model));
      if (filter.key !== undefined) sets.push(this.k('tasks', 'key', filter.key));
      const ids =
        sets.length === 0 ? await this.client.hkeys(this.k('tasks', 'meta')) : await this.client.sinter(...sets);
      const tasks: TaskRecord[] = [];
      for (const json of await this.mget(ids.map((id) => this.k('task', id))))
        if (json !== null) tasks.push(JSON.parse(json) as TaskRecord);
      return tasks.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    });
  }

  /** The cursor is an offset from the newest; there is no ordering index, so each page reads every matching task. */
  async pageTasks(filter: TaskFilter, limit: number, cursor?: string): Promise<TaskPage | undefined> {
    const from = cursor === undefined ? 0 : /^\d{1,15}$/.test(cursor) ? Number(cursor) : NaN;
    if (!(from >= 0)) return undefined;
    const all = (await this.listTasks(filter)).reverse();
    if (from > all.length) return undefined;
    const tasks = all.slice(from, from + limit);
    return { tasks, total: all.length, next: from + limit < all.length ? String(from + limit) : null };
  }

  claimIdempotency(
    scope: string,
    fingerprint: string,
    at: number,
    ttlMs: number,
    pendingTtlMs: number = ttlMs,
  ): Promise<IdempotencyRecord | undefined> {
    return this.op('claimIdempotency', async () => {
      const gc = Math.max(1, Math.ceil(ttlMs * 2 + GC_GRACE_MS));
      const reply = await this.script(
        'gwsimClaimIdempotency',
        [this.k('idem', scope)],
        [fingerprint, n(at, 'at'), n(ttlMs, 'ttlMs'), String(gc), n(pendingTtlMs, 'pendingTtlMs')],
      );
      if (reply === null) return undefined;
      const [fp, taskId, createdAt] = asArray(reply);
      return {
        fingerprint: String(fp),
        taskId: taskId === null || taskId === undefined ? null : String(taskId),
        createdAt: Number(createdAt),
      };
    });
  }

  bindIdempotency(scope: string, taskId: string): Promise<void> {
    return this.op('bindIdempotency', async () => {
      await this.script('gwsimBindIdempotency', [this.k('idem', scope)], [taskId]);
    });
  }

  dropIdempotency(scope: string): Promise<void> {
    return this.op('dropIdempotency', async () => {
      await this.client.del(this.k('idem', scope));
    });
  }

  putDelivery(delivery: DeliveryRecord): Promise<void> {
    return this.op('putDelivery', async () => {
      await this.script(
        'gwsimPutDelivery',
        [this.k('delivery', delivery.id), this.k('deliveries'), this.k('deliveries', 'task', delivery.task_id)],
        [delivery.id, JSON.stringify(delivery)],
      );
    });
  }

  getDelivery(id: string): Promise<DeliveryRecord | undefined> {
    return this.op('getDelivery', async () => {
      const json = await this.client.get(this.k('delivery', id));
      return json === null ? undefined : (JSON.parse(json) as DeliveryRecord);
    });
  }

  listDeliveries(taskId?: string): Promise<DeliveryRecord[]> {
    return this.op('listDeliveries', async () => {
      const list = taskId === undefined ? this.k('deliveries') : this.k('deliveries', 'task', taskId);
      const ids = await this.client.lrange(list, 0, -1);
      const out: DeliveryRecord[] = [];
      for (const json of await this.mget(ids.map((id) => this.k('delivery', id)))) {
        if (json === null) continue;
        const d = JSON.parse(json) as DeliveryRecord;
        if (taskId === undefined || d.task_id === taskId) out.push(d);
      }
      return out;
    });
  }

  hitRateLimit(key: string, policy: RateLimitPolicy, now: number): Promise<RateWindow> {
    return this.op('hitRateLimit', async () => {
      const windowMs = policy.window_s * 1000;
      const gc = Math.max(1, Math.ceil(windowMs * 2 + GC_GRACE_MS));
      const [count, resetAt] = asArray(
        await this.script(
          'gwsimHitRateLimit',
          [this.k('rate', key)],
          [n(now, 'now'), n(windowMs, 'window'), String(gc)],
        ),
      );
      return { count: Number(count), resetAt: Number(resetAt) };
    });
  }

  putShared(kind: string, id: string, json: string | null): Promise<void> {
    return this.op('putShared', async () => {
      await this.script('gwsimPutShared', [this.k('shared', kind), this.k('shared', kind, 'v')], [id, json ?? '']);
    });
  }

  readShared(kind: string, since: number): Promise<SharedSnapshot | undefined> {
    return this.op('readShared', async () => {
      const reply = await this.script(
        'gwsimReadShared',
        [this.k('shared', kind), this.k('shared', kind, 'v')],
        [String(since)],
      );
      if (reply === null) return undefined;
      const flat = asArray(reply);
      return { version: Number(flat[0]), entries: pairs(flat, 1) };
    });
  }

  generation(): Promise<string> {
    return this.op('generation', async () =>
      String(await this.script('gwsimGeneration', [this.k('generation')], [randomUUID()])),
    );
  }

  /** Deletes every key under this store's prefix (SCAN + UNLINK), nothing else. */
  reset(): Promise<void> {
    return this.op('reset', async () => {
      const match = this.prefix.replace(/[*?[\]\\]/g, '\\$&') + '*';
      let cursor = '0';
      do {
        const [next, keys] = await this.client.scan(cursor, 'MATCH', match, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await this.client.unlink(...keys);
      } while (cursor !== '0');
    });
  }

  /** A node's job book in this Redis (src/store/redis-job-book.ts), under this store's prefix. */
  jobBook(node: string): JobBook {
    return new RedisJobBook(this.client, this.prefix, node);
  }
}
