import { createHmac, randomBytes } from 'node:crypto';

/**
 * The unguessable part of a task's image URLs: HMAC-SHA256 of the task id under the run's URL
 * secret, 128 bits in base64url. Task ids follow from the seed, so without it anyone could
 * guess another team's images on a shared simulator.
 */
export function imageToken(secret: string, taskId: string): string {
  return createHmac('sha256', secret).update(taskId).digest('base64url').slice(0, 22);
}

/** The config's `images.url_secret` (fixed URLs under a fixed seed), else a fresh one per run. */
export const urlSecret = (configured: string | undefined): string =>
  configured ?? randomBytes(32).toString('base64url');
