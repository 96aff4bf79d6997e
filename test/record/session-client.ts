import { REAL_KEY } from './stand-in-gateway.js';

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function request(base: string, method: string, path: string, body: unknown, key: string | null) {
  const res = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: {
      ...(key !== null ? { authorization: `Bearer ${key}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as { data?: { task_id?: string; status?: string } } };
}

/**
 * What a client of the real gateway does in a short session: read its credits, get one 401, run
 * eight async imagen4 tasks to the end (polling; the first with a webhook) and two sync cogview-4
 * ones, reading credits after each, then ask for a task that does not exist.
 */
export async function clientSession(base: string, webhookUrl: string | undefined, key = REAL_KEY): Promise<void> {
  const call = (method: string, path: string, body?: unknown, as: string | null = key) =>
    request(base, method, path, body, as);
  await call('GET', '/credits');
  await call('POST', '/images/generations', { model: 'imagen4', prompt: 'no key here' }, null);
  for (let i = 0; i < 8; i++) {
    const created = await call('POST', '/images/generations', {
      model: 'imagen4',
      prompt: `A photorealistic bowl of ramen, take ${i}`,
      aspect_ratio: '1:1',
      ...(i === 0 && webhookUrl ? { callback_url: `${webhookUrl}/hook` } : {}),
    });
    const id = created.body.data?.task_id;
    if (!id) throw new Error(`create answered ${created.status}`);
    for (let polls = 0; polls < 100; polls++) {
      await pause(40);
      const status = (await call('GET', `/tasks/${id}`)).body.data?.status;
      if (status === 'COMPLETED' || status === 'FAILED') break;
    }
    await call('GET', '/credits');
  }
  for (let i = 0; i < 2; i++) {
    await call('POST', '/images/generations', {
      model: 'cogview-4',
      prompt: `A robot in a kitchen, take ${i}`,
      size: '1024*1024',
    });
    await call('GET', '/credits');
  }
  await call('GET', '/tasks/n47doesnotexist_imagen4');
}
