import { paths } from '../paths.js';

/** The pacticipants: who consumes whom. Pact files are named `<consumer>-<provider>.json`. */
export const PARTICIPANTS = {
  client: 'gwsim-client',
  gateway: 'api-in-one-gateway',
  webhookReceiver: 'webhook-receiver',
  gatewayWebhooks: 'api-in-one-gateway-webhooks',
  node: 'provider-node',
} as const;

/** The key every gateway pact's requests carry; provider states create it on a gwsim target. */
export const PACT_KEY = 'aio_pact_key';

export const PACTS_DIR = paths.pacts;
