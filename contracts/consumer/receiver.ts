import { verifyWebhook } from '../../src/client/index.js';
import type { Task } from '../../src/client/index.js';

/**
 * What a user's webhook receiver does with gwsim's (or API in One's) callback: verify the
 * signature, then read the finished task out of the envelope. The message pact's consumer.
 */
export function receiveTaskWebhook(
  body: string,
  headers: Record<string, string>,
  secret: string,
): { taskId: string; status: Task['status']; images: string[] } {
  const envelope = verifyWebhook<{ code: number; data: Task }>(body, headers, secret);
  if (envelope.code !== 200) throw new Error(`unexpected envelope code ${envelope.code}`);
  const task = envelope.data;
  if (task.status !== 'COMPLETED' && task.status !== 'FAILED')
    throw new Error(`a webhook for an unfinished task: ${task.status}`);
  return { taskId: task.task_id, status: task.status, images: task.output?.images.map((i) => i.url) ?? [] };
}
