import type { IncomingHttpHeaders } from 'node:http';

/** The deliverer's User-Agent. */
export const DELIVERY_USER_AGENT = 'gwsim-webhooks';

/**
 * Whether a request is a webhook delivery (Standard Webhooks headers, or the deliverer's
 * User-Agent): admin APIs refuse those, so no callback_url can ever drive them.
 */
export function isWebhookDelivery(h: IncomingHttpHeaders): boolean {
  return (
    h['webhook-id'] !== undefined ||
    h['webhook-signature'] !== undefined ||
    h['webhook-timestamp'] !== undefined ||
    (h['user-agent'] ?? '').startsWith(DELIVERY_USER_AGENT)
  );
}
