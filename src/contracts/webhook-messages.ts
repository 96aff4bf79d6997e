import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MessageProviders } from '@pact-foundation/pact';
import { PACT_KEY } from './participants.js';
import { taskFixture } from './gateway-states.js';
import { admin, letTimePass, type StateHandlers, type Target } from './target.js';

interface Captured {
  body: string;
  headers: Record<string, string>;
}

/** Submit a webhook task to the target and catch its delivery on a loopback receiver. */
async function captureDelivery(target: Target): Promise<Captured> {
  let resolve!: (c: Captured) => void;
  const got = new Promise<Captured>((r) => (resolve = r));
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      res.writeHead(200).end('ok');
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      resolve({ body, headers });
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  try {
    await admin(target, 'POST', '/reset');
    await admin(target, 'POST', '/keys', { key: PACT_KEY, credits: 10_000 });
    // A COMPLETED fixture with a callback_url is delivered at once: no waiting on a generation.
    await taskFixture(target, 'COMPLETED', {
      callback_url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`,
    });
    for (let i = 0; i < 200; i++) {
      const delivered = await Promise.race([got, new Promise<undefined>((r) => setTimeout(() => r(undefined), 25))]);
      if (delivered) return delivered;
      await letTimePass(target, 1_000);
    }
    throw new Error('webhook message: the COMPLETED fixture was not delivered within 200 clock steps');
  } finally {
    receiver.close();
  }
}

/** The webhook message pact's provider: a real delivery from the target, headers as metadata. */
export function webhookMessages(target: Target): { messageProviders: MessageProviders; stateHandlers: StateHandlers } {
  return {
    stateHandlers: { 'a task with a callback_url has completed': async () => undefined },
    messageProviders: {
      'a task finished webhook': async () => {
        const d = await captureDelivery(target);
        const pick = ['content-type', 'webhook-id', 'webhook-timestamp', 'webhook-signature'];
        return {
          __pactMessageMetadata: Object.fromEntries(pick.map((k) => [k, d.headers[k] ?? ''])),
          message: JSON.parse(d.body) as unknown,
        };
      },
    },
  };
}
