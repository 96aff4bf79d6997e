import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MessageProviders } from '@pact-foundation/pact';
import { PACT_KEY } from './participants.js';
import { admin, call, letTimePass, type StateHandlers, type StateParams, type Target } from './target.js';

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
    for (let attempt = 0; attempt < 5; attempt++) {
      const r = await call<{ data?: { task_id: string } }>(
        `${target.baseUrl}/api/v1/images/generations`,
        'POST',
        { model: 'imagen4', prompt: 'A photorealistic bowl of ramen', callback_url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook` },
        { authorization: `Bearer ${PACT_KEY}` },
      );
      if (r.status !== 200) throw new Error(`webhook message: submit answered ${r.status}`);
      let delivered: Captured | undefined;
      for (let i = 0; i < 100 && !delivered; i++) {
        await letTimePass(target, 5_000);
        delivered = await Promise.race([got, new Promise<undefined>((r) => setTimeout(() => r(undefined), 5))]);
      }
      if (delivered && JSON.parse(delivered.body).data?.status === 'COMPLETED') return delivered;
    }
    throw new Error('webhook message: no COMPLETED task was delivered');
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
        return { __pactMessageMetadata: Object.fromEntries(pick.map((k) => [k, d.headers[k] ?? ''])), message: JSON.parse(d.body) };
      },
    },
  };
}
