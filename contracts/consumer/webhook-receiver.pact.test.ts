import { MatchersV3, PactV4 } from '@pact-foundation/pact';
import { describe, expect, it } from 'vitest';
import { PACTS_DIR, PARTICIPANTS } from '../../src/contracts/participants.js';
import { sign } from '../../src/webhooks/signature.js';
import { receiveTaskWebhook } from './receiver.js';

const { regex, integer, eachLike, nullValue, string, datetime } = MatchersV3;
const ISO = "yyyy-MM-dd'T'HH:mm:ss.SSSX";
const SECRET = `whsec_${Buffer.from('a receiver test secret, 32 bytes').toString('base64')}`;

const pact = new PactV4({
  consumer: PARTICIPANTS.webhookReceiver,
  provider: PARTICIPANTS.gatewayWebhooks,
  dir: PACTS_DIR,
  logLevel: 'warn',
});

describe('webhook-receiver ← api-in-one-gateway-webhooks', () => {
  it('receives a signed, finished task', () =>
    pact
      .addAsynchronousInteraction()
      .given('a task with a callback_url has completed')
      .expectsToReceive('a task finished webhook', (m) =>
        m
          .withJSONContent({
            code: 200,
            message: 'success',
            data: {
              task_id: regex('^n[0-9]+[a-z0-9]+_[a-z0-9]+$', 'n47k3j9x0a2bqz_imagen4'),
              status: 'COMPLETED',
              model: string('imagen-4'),
              sub_model: string('imagen4'),
              node: string('node47'),
              provider: string('Google'),
              queue_position: nullValue(),
              attempts: eachLike({
                node: string('node47'),
                provider: string('Google'),
                at: integer(1767225600000),
                outcome: 'accepted',
                detail: nullValue(),
              }),
              created_at: datetime(ISO, '2026-01-01T00:00:00.000Z'),
              started_at: datetime(ISO, '2026-01-01T00:00:00.240Z'),
              completed_at: datetime(ISO, '2026-01-01T00:00:05.113Z'),
              output: {
                images: eachLike({
                  url: regex(
                    '^https?://.+\\.png$',
                    'http://127.0.0.1:4100/files/n47k3j9x0a2bqz_imagen4/vkXredGsJFrmfIAYNP78pe/0.png',
                  ),
                  width: integer(1024),
                  height: integer(1024),
                }),
              },
              error: nullValue(),
              credits_held: 0,
              credits_charged: integer(8),
            },
          })
          .withMetadata({
            'content-type': 'application/json',
            'webhook-id': regex('^msg_[A-Za-z0-9]+$', 'msg_2d7f9a1c03b84e5f'),
            'webhook-timestamp': regex('^[0-9]+$', '1767225605'),
            'webhook-signature': regex('^v1,[A-Za-z0-9+/=]+$', 'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4='),
          }),
      )
      .executeTest(async (message) => {
        // The example signature cannot match the example body, so sign it as the gateway would.
        const body = JSON.stringify(message.contents.content);
        const id = String(message.metadata['webhook-id']);
        const ts = Math.floor(Date.now() / 1000);
        const got = receiveTaskWebhook(
          body,
          { 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': sign(SECRET, id, ts, body) },
          SECRET,
        );
        expect(got.status).toBe('COMPLETED');
        expect(got.images[0]).toMatch(/\.png$/);
        expect(() =>
          receiveTaskWebhook(
            body.replace('COMPLETED', 'FAILED'),
            { 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': sign(SECRET, id, ts, body) },
            SECRET,
          ),
        ).toThrow();
      }));
});
