import type { TaskRecord } from '../gateway/task.js';

/** A task as the dashboard lists it: what a table row shows, times as simulator epoch ms. */
export interface TaskRow {
  task_id: string;
  status: TaskRecord['status'];
  model: string;
  sub_model: string;
  node: string;
  key: string;
  queue_position: number | null;
  created_at: number;
  started_at: number | null;
  completed_at: number | null;
  credits_held: number;
  credits_charged: number;
  error: TaskRecord['error'];
}

export const taskRow = (t: TaskRecord): TaskRow => ({
  task_id: t.id,
  status: t.status,
  model: t.model,
  sub_model: t.subModel,
  node: t.node,
  key: t.key,
  queue_position: t.queuePosition,
  created_at: t.createdAt,
  started_at: t.startedAt,
  completed_at: t.completedAt,
  credits_held: t.held,
  credits_charged: t.charged,
  error: t.error && { ...t.error },
});
