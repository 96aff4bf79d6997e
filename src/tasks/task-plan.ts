import type { RouteEntry } from '../catalog/catalog-schema.js';
import type { Catalog, ModelRef } from '../catalog/load-catalog.js';
import { isTerminal, type TaskAttempt, type TaskRecord, type TaskStatus } from '../gateway/task.js';
import type { JobRequest } from '../nodes/node-emulator.js';
import { createRng, mix32, randomString } from '../rng/rng.js';
import { routeOrder } from '../routing/route-order.js';

/** What chance decides at submit, from the task's own RNG: its id and the order of its routes. */
export interface TaskPlan {
  id: string;
  routes: RouteEntry[];
  imageSeed: number;
}

/** A validated, priced submit: what a task record is made from. */
export interface NewTask {
  key: string;
  ref: ModelRef;
  prompt: string;
  params: Record<string, unknown>;
  price: number;
  numImages: number;
  width: number;
  height: number;
  callbackUrl: string | null;
}

export interface PlannerDeps {
  catalog: Catalog;
  seed: number;
  /** Mixed into every task's RNG so instances sharing a store and a seed never mint the same ids. */
  instanceSalt?: number | undefined;
  /** The secret part of a task's image URLs, given to it when it completes. */
  imageToken: (taskId: string) => string;
}

/**
 * Plans and builds task records. Task n draws from RNG(seed, n), so ids and route choices repeat
 * under the same seed.
 */
export class TaskPlanner {
  private counter = 0;

  constructor(private readonly deps: PlannerDeps) {}

  /** The last plan made: one given back while still the last frees its number for the next. */
  private last: TaskPlan | undefined;

  /** A plan whose request was refused before anything was written (401, 429): as if never made. */
  giveBack(plan: TaskPlan): void {
    if (this.last !== plan) return;
    this.last = undefined;
    this.counter--;
  }

  plan(ref: ModelRef): TaskPlan {
    const taskNumber = ++this.counter;
    const { seed, instanceSalt } = this.deps;
    const rng = createRng(instanceSalt === undefined ? mix32(seed, taskNumber) : mix32(seed, instanceSalt, taskNumber));
    const routes = routeOrder(rng, ref.model.routes);
    const firstRoute = routes[0];
    const node = firstRoute && this.deps.catalog.nodes.get(firstRoute.node);
    if (!node) throw new Error(`model ${ref.model.id} has no route to a known node`);
    this.last = {
      id: `${node.prefix}${randomString(rng, 11)}_${ref.model.tag}`,
      routes,
      imageSeed: mix32(seed, taskNumber, 0x1a6e),
    };
    return this.last;
  }

  /** A new task, IN_QUEUE on its first route, holding its price. */
  record(plan: TaskPlan, t: NewTask, now: number): TaskRecord {
    const first = plan.routes[0];
    if (!first) throw new Error(`task ${plan.id} has no route`);
    return {
      id: plan.id,
      key: t.key,
      model: t.ref.model.id,
      subModel: t.ref.subModel.id,
      node: first.node,
      provider: first.provider,
      status: 'IN_QUEUE',
      queuePosition: null,
      attempts: [],
      createdAt: now,
      startedAt: null,
      completedAt: null,
      width: t.width,
      height: t.height,
      numImages: t.numImages,
      imageSeed: plan.imageSeed,
      imageToken: null,
      error: null,
      held: t.price,
      charged: 0,
      callbackUrl: t.callbackUrl,
    };
  }

  /** The image token of a task in `status`: made when it completes, where its URLs first appear; none before or on FAILED. */
  imageToken(status: TaskStatus, taskId: string): string | null {
    return status === 'COMPLETED' ? this.deps.imageToken(taskId) : null;
  }

  /** A task made to order in `status`, never routed and holding nothing (`POST /_sim/tasks`). */
  fixture(plan: TaskPlan, t: NewTask, status: TaskStatus, error: TaskRecord['error'], now: number): TaskRecord {
    const base = this.record(plan, t, now);
    const accepted: TaskAttempt = {
      node: base.node,
      provider: base.provider,
      at: now,
      outcome: 'accepted',
      detail: null,
    };
    return {
      ...base,
      status,
      held: 0,
      fixture: true,
      imageToken: this.imageToken(status, plan.id),
      // IN_QUEUE is a job waiting at its node: accepted there, next in line.
      attempts: [accepted],
      queuePosition: status === 'IN_QUEUE' ? 1 : null,
      startedAt: status === 'IN_QUEUE' ? null : now,
      completedAt: isTerminal(status) ? now : null,
      error:
        status === 'FAILED' ? (error ?? { code: 'provider_error', message: 'the provider reported a failure' }) : null,
    };
  }

  reset(): void {
    this.counter = 0;
    this.last = undefined;
  }
}

/** The job a node is asked to run for a task. */
export function jobRequest(task: TaskRecord, t: NewTask): JobRequest {
  return {
    job_id: task.id,
    model: task.subModel,
    prompt: t.prompt,
    params: t.params,
    num_images: t.numImages,
    width: t.width,
    height: t.height,
  };
}
