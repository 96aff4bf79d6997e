import { createHash } from 'node:crypto';
import type { ConfigFile } from '../../src/config/config-schema.js';
import type { NodeTransport } from '../../src/nodes/node-fleet.js';
import { verifyWebhook } from '../../src/webhooks/signature.js';
import { startReceiver } from './receiver.js';
import { startTestSim } from './sim.js';

/**
 * A fixed manual-clock scenario run against the real server over HTTP, and every byte of it that
 * must repeat: statuses and bodies of each request in order, the webhooks the receiver got (body,
 * headers), the ledger and delivery log at the end. Recorded once on the code before the event
 * path (test/fixtures/determinism-before.json); the test replays it and asks for the same bytes.
 */
export const KEY = 'aio_det_key';
const SECRET = 'whsec_ZGV0ZXJtaW5pc20tc2VjcmV0LWJ5dGVz';

const CONFIG: ConfigFile = {
  keys: [{ key: KEY, credits: 100_000, webhook_secret: SECRET }],
  // node47 runs one job at a time, so imagen4 and nano-banana queue behind each other.
  nodes: { node47: { capacity: 1 } },
  models: { 'flux-2': { failure_rate: 0.5 }, seedream: { failure_rate: 1 } },
  routing: { lost_after_ms: 5_000 },
  images: { url_secret: 'determinism-url-secret' },
  // A loaded machine must not let the clock move on before the receiver's answer is in.
  webhooks: { answer_grace_ms: 15_000 },
};

/** One exchange as recorded: what was asked, the status, and the body (base URLs replaced). */
export interface Exchange {
  ask: string;
  status: number;
  body: unknown;
}

export interface Recording {
  exchanges: Exchange[];
  webhooks: Array<{ path: string; headers: Record<string, string>; body: string }>;
  images: string[];
}

type Step =
  | { submit: Record<string, unknown>; hook?: boolean }
  | { sync: Record<string, unknown>; advances: number[] }
  | { advance: number }
  | { get: number[] }
  | { fault: Record<string, unknown> }
  | { admin: string };

const SCENARIO: Step[] = [
  { admin: '/_sim/clock' },
  { submit: { model: 'imagen4', prompt: 'a red bicycle against a white wall', aspect_ratio: '1:1' }, hook: true },
  { submit: { model: 'imagen4', prompt: 'two owls on a branch', aspect_ratio: '16:9', num_images: 2 }, hook: true },
  { submit: { model: 'nano-banana', prompt: 'a banana spaceship' } },
  { submit: { model: 'flux-2', prompt: 'a glass teapot', resolution: '1K', type: 'flex' }, hook: true },
  { submit: { model: 'seedream', prompt: 'a mountain lake at dawn', resolution: '1K', aspect_ratio: '4:3' } },
  { get: [0, 1, 2, 3, 4] },
  { advance: 300 },
  { get: [0, 1, 2] },
  { submit: { model: 'gpt-image', prompt: 'an isometric city block' }, hook: true },
  { submit: { model: 'flux-2', prompt: 'a lighthouse in fog', resolution: '1K', type: 'flex' }, hook: true },
  { advance: 1_250 },
  // node41 goes down under the flux-2 jobs: refused polls, then node_lost after lost_after_ms.
  { fault: { target: 'node41', kind: 'outage', duration_ms: 20_000 } },
  { get: [3, 6] },
  { advance: 2_000 },
  {
    sync: { model: 'cogview-4', prompt: 'a paper crane', size: '768*1344', quality: 'standard' },
    advances: [4_000, 4_000, 4_000],
  },
  { get: [0, 1, 2, 3, 4, 5, 6] },
  { submit: { model: 'qwen-image', prompt: 'a bowl of cherries', size: '1328*1328' } },
  { advance: 7_000 },
  { get: [0, 1, 2, 3, 4, 5, 6, 8] },
  ...Array.from({ length: 12 }, (): Step => ({ advance: 15_000 })),
  { get: [0, 1, 2, 3, 4, 5, 6, 7, 8] },
  { admin: '/_sim/ledger' },
  { admin: '/_sim/webhooks' },
  { admin: `/_sim/keys/${KEY}` },
];

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Run the scenario once on a fresh simulator and receiver; the recording has no port in it. */
export async function runScenario(seed: number, nodeTransport: NodeTransport): Promise<Recording> {
  const receiver = await startReceiver();
  const sim = await startTestSim({ seed, config: CONFIG, nodeTransport });
  const wallStart = Date.now();
  const rebase = (text: string) => text.split(sim.url).join('BASE').split(receiver.url).join('HOOK');
  const exchanges: Exchange[] = [];
  const ids: string[] = [];
  const send = async (ask: string, method: string, path: string, body?: unknown, key: string | null = KEY) => {
    const headers: Record<string, string> = key ? { authorization: `Bearer ${key}` } : {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(sim.url + path, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = rebase(await res.text());
    const exchange = { ask, status: res.status, body: text ? (JSON.parse(text) as unknown) : null };
    exchanges.push(exchange);
    return exchange;
  };
  const advance = (ms: number) => send(`advance ${ms}`, 'POST', '/_sim/clock/advance', { ms }, null);
  const taskId = (e: Exchange) => (e.body as { data?: { task_id?: string } }).data?.task_id ?? '';
  try {
    for (const step of SCENARIO) {
      if ('submit' in step) {
        const body = step.hook ? { ...step.submit, callback_url: receiver.url } : step.submit;
        ids.push(taskId(await send(`submit ${String(step.submit.model)}`, 'POST', '/api/v1/images/generations', body)));
      } else if ('sync' in step) {
        const pending = send(`sync ${String(step.sync.model)}`, 'POST', '/api/v1/images/generations', step.sync);
        // The sync request waits for its task; the clock moves only once the task exists.
        const waitUntil = Date.now() + 10_000;
        while ((await sim.admin.tasks({})).length <= ids.length && Date.now() < waitUntil) await pause(2);
        for (const ms of step.advances) await advance(ms);
        ids.push(taskId(await pending));
      } else if ('advance' in step) await advance(step.advance);
      else if ('get' in step) {
        for (const n of step.get) await send(`get ${n}`, 'GET', `/api/v1/tasks/${ids[n] ?? 'missing'}`);
      } else if ('fault' in step) await send('fault', 'POST', '/_sim/faults', step.fault, null);
      else await send(step.admin, 'GET', step.admin, undefined, null);
    }
    const images: string[] = [];
    for (const id of ids) {
      const view = (await (
        await fetch(`${sim.url}/api/v1/tasks/${id}`, { headers: { authorization: `Bearer ${KEY}` } })
      ).json()) as {
        data: { output?: { images?: Array<{ url: string }> } | null };
      };
      for (const image of view.data.output?.images ?? []) {
        const res = await fetch(image.url);
        images.push(
          `${id} ${res.status} ${createHash('sha256')
            .update(Buffer.from(await res.arrayBuffer()))
            .digest('hex')}`,
        );
      }
    }
    const webhooks = receiver.received.map((r) => {
      // webhook-timestamp is wall time by design (receivers' replay checks): checked, not recorded.
      const ts = Number(r.headers['webhook-timestamp']) * 1000;
      verifyWebhook(r.body, r.headers, SECRET);
      const inRun = ts >= Math.floor(wallStart / 1000) * 1000 && ts <= Date.now();
      return {
        path: r.path,
        headers: {
          'content-type': String(r.headers['content-type']),
          'user-agent': String(r.headers['user-agent']),
          'webhook-id': String(r.headers['webhook-id']),
          'webhook-timestamp': inRun ? 'wall time within the run' : `outside the run: ${ts}`,
          'webhook-signature': 'verified',
        },
        body: rebase(r.body),
      };
    });
    return { exchanges, webhooks, images };
  } finally {
    await sim.close();
    await receiver.close();
  }
}
