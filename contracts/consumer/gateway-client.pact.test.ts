import { MatchersV3, PactV4 } from '@pact-foundation/pact';
import { describe, expect, it } from 'vitest';
import { GatewayApiError, GatewayClient } from '../../src/client/index.js';
import { PACT_KEY, PACTS_DIR, PARTICIPANTS } from '../../src/contracts/participants.js';

const { like, regex, integer, eachLike, nullValue, fromProviderState, string, datetime } = MatchersV3;

const pact = new PactV4({
  consumer: PARTICIPANTS.client,
  provider: PARTICIPANTS.gateway,
  dir: PACTS_DIR,
  logLevel: 'warn',
});

const AUTH = { Authorization: `Bearer ${PACT_KEY}` };
const TASK_ID = '^n[0-9]+[a-z0-9]+_[a-z0-9]+$';
const ISO = "yyyy-MM-dd'T'HH:mm:ss.SSSX";
const at = (example: string) => datetime(ISO, example);
const envelope = (data: unknown) => ({ code: 200, message: 'success', data });
// The docs' error shape; `type` is matched as a string (its values are gwsim's assumption), the example is gwsim's value.
const TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'insufficient_credits',
  404: 'not_found_error',
  429: 'rate_limit_error',
};
const error = (code: number, message: unknown = string('what went wrong, naming the field')) => ({
  error: { code, message, type: string(TYPES[code]) },
});

const attempt = {
  node: string('node47'),
  provider: string('Google'),
  at: integer(1767225600000),
  outcome: 'accepted',
  detail: nullValue(),
};
const image = {
  url: regex('^https?://.+\\.png$', 'http://127.0.0.1:4100/files/n47k3j9x0a2bqz_imagen4/vkXredGsJFrmfIAYNP78pe/0.png'),
  width: integer(1024),
  height: integer(1024),
};

/** A task body in a given status; only what a client relies on is fixed, the rest matched by type. */
function task(status: string, extra: Record<string, unknown> = {}) {
  const done = status === 'COMPLETED' || status === 'FAILED';
  return {
    task_id: regex(TASK_ID, 'n47k3j9x0a2bqz_imagen4'),
    status,
    model: string('imagen-4'),
    sub_model: string('imagen4'),
    node: string('node47'),
    provider: string('Google'),
    queue_position: status === 'IN_QUEUE' ? integer(1) : nullValue(),
    attempts: eachLike(attempt),
    created_at: at('2026-01-01T00:00:00.000Z'),
    started_at: status === 'IN_QUEUE' ? nullValue() : at('2026-01-01T00:00:00.000Z'),
    completed_at: done ? at('2026-01-01T00:00:05.113Z') : nullValue(),
    output: status === 'COMPLETED' ? { images: eachLike(image) } : nullValue(),
    error:
      status === 'FAILED'
        ? { code: string('provider_unavailable'), message: string('no node accepted the task') }
        : nullValue(),
    credits_held: integer(done ? 0 : 8),
    credits_charged: integer(status === 'COMPLETED' ? 8 : 0),
    ...extra,
  };
}

const client = (url: string, key = PACT_KEY) => new GatewayClient({ baseUrl: url, apiKey: key });
const IMAGEN = {
  model: 'imagen4',
  prompt: 'A photorealistic bowl of ramen with steam rising',
  aspect_ratio: '1:1',
} as const;
const COGVIEW = {
  model: 'cogview-4',
  prompt: 'A futuristic robot assistant helping in a modern kitchen',
  size: '1024*1024',
  quality: 'hd',
} as const;

describe('gwsim-client → api-in-one-gateway', () => {
  it('submits an async generation and gets it accepted', () =>
    pact
      .addInteraction()
      .given('an API key with credits')
      .uponReceiving('a generation request for imagen4')
      .withRequest('POST', '/api/v1/images/generations', (b) =>
        b.headers({ ...AUTH, 'Content-Type': 'application/json' }).jsonBody(IMAGEN),
      )
      .willRespondWith(200, (b) =>
        b
          .headers({ 'Content-Type': regex('application/json.*', 'application/json; charset=utf-8') })
          .jsonBody(envelope(task('IN_PROGRESS'))),
      )
      .executeTest(async (mock) => {
        const t = await client(mock.url).generate(IMAGEN);
        expect(t.status).toBe('IN_PROGRESS');
        expect(t.credits_held).toBe(8);
      }));

  it('submits to a sync model and gets the finished task', () =>
    pact
      .addInteraction()
      .given('an API key with credits')
      .given('sync models finish without waiting')
      .uponReceiving('a generation request for cogview-4')
      .withRequest('POST', '/api/v1/images/generations', (b) =>
        b.headers({ ...AUTH, 'Content-Type': 'application/json' }).jsonBody(COGVIEW),
      )
      .willRespondWith(200, (b) =>
        b.jsonBody(
          envelope(
            task('COMPLETED', {
              task_id: regex(TASK_ID, 'n48p0d8s1mfw2c_cogview4'),
              model: 'cogview-4',
              sub_model: 'cogview-4',
              credits_charged: integer(4),
            }),
          ),
        ),
      )
      .executeTest(async (mock) => {
        const t = await client(mock.url).generate(COGVIEW);
        expect(t.status).toBe('COMPLETED');
        expect(t.output?.images[0]?.url).toMatch(/\.png$/);
      }));

  for (const status of ['IN_QUEUE', 'IN_PROGRESS', 'COMPLETED', 'FAILED'] as const) {
    it(`reads a task that is ${status}`, () =>
      pact
        .addInteraction()
        .given('an API key with credits')
        .given('a task exists', { status })
        .uponReceiving(`a request for a task that is ${status}`)
        .withRequest(
          'GET',
          fromProviderState('/api/v1/tasks/${task_id}', '/api/v1/tasks/n47k3j9x0a2bqz_imagen4'),
          (b) => b.headers(AUTH),
        )
        .willRespondWith(200, (b) => b.jsonBody(envelope(task(status))))
        .executeTest(async (mock) => {
          const t = await client(mock.url).getTask('n47k3j9x0a2bqz_imagen4');
          expect(t.status).toBe(status);
        }));
  }

  it('is told which parameter is wrong (400)', () =>
    pact
      .addInteraction()
      .given('an API key with credits')
      .uponReceiving('a cogview-4 request with a size it does not offer')
      .withRequest('POST', '/api/v1/images/generations', (b) =>
        b.headers({ ...AUTH, 'Content-Type': 'application/json' }).jsonBody({ ...COGVIEW, size: '1000*1000' }),
      )
      .willRespondWith(400, (b) =>
        b.jsonBody(error(400, regex('.*size.*', "Invalid request: 'size' must be one of 1024*1024, …"))),
      )
      .executeTest(async (mock) => {
        const err = await client(mock.url)
          .generate({ ...COGVIEW, size: '1000*1000' } as never)
          .catch((e: unknown) => e);
        expect(err).toBeInstanceOf(GatewayApiError);
        expect((err as GatewayApiError).status).toBe(400);
        expect((err as GatewayApiError).message).toContain('size');
        expect((err as GatewayApiError).type).toBe('invalid_request_error');
      }));

  it('is refused without a known key (401)', () =>
    pact
      .addInteraction()
      .uponReceiving('a request with an unknown key')
      .withRequest('GET', '/api/v1/credits', (b) => b.headers({ Authorization: 'Bearer aio_not_a_key' }))
      .willRespondWith(401, (b) => b.jsonBody(error(401)))
      .executeTest(async (mock) => {
        const err = (await client(mock.url, 'aio_not_a_key')
          .getCredits()
          .catch((e: unknown) => e)) as GatewayApiError;
        expect([err.kind, err.status, err.code, err.type]).toEqual(['http', 401, 401, 'authentication_error']);
      }));

  it('is refused when the credits do not cover the price (402)', () =>
    pact
      .addInteraction()
      .given('an API key without credits')
      .uponReceiving('a generation request the balance cannot cover')
      .withRequest('POST', '/api/v1/images/generations', (b) =>
        b.headers({ ...AUTH, 'Content-Type': 'application/json' }).jsonBody(IMAGEN),
      )
      .willRespondWith(402, (b) => b.jsonBody(error(402)))
      .executeTest(async (mock) => {
        const err = (await client(mock.url)
          .generate(IMAGEN)
          .catch((e: unknown) => e)) as GatewayApiError;
        expect(err.status).toBe(402);
      }));

  it('gets 404 for a task that does not exist', () =>
    pact
      .addInteraction()
      .given('an API key with credits')
      .uponReceiving('a request for an unknown task')
      .withRequest('GET', '/api/v1/tasks/n47nosuchtask00_imagen4', (b) => b.headers(AUTH))
      .willRespondWith(404, (b) => b.jsonBody(error(404)))
      .executeTest(async (mock) => {
        const err = (await client(mock.url)
          .getTask('n47nosuchtask00_imagen4')
          .catch((e: unknown) => e)) as GatewayApiError;
        expect(err.status).toBe(404);
      }));

  it('is told to wait when rate limited (429)', () =>
    pact
      .addInteraction()
      .given('an API key at its rate limit')
      .uponReceiving('a request over the rate limit')
      .withRequest('GET', '/api/v1/credits', (b) => b.headers(AUTH))
      .willRespondWith(429, (b) => b.headers({ 'Retry-After': regex('^[0-9]+$', '30') }).jsonBody(error(429)))
      .executeTest(async (mock) => {
        const err = (await client(mock.url)
          .getCredits()
          .catch((e: unknown) => e)) as GatewayApiError;
        expect(err.status).toBe(429);
        expect(err.retryAfterMs).toBe(30_000);
      }));

  it('lists the models', () =>
    pact
      .addInteraction()
      .given('an API key with credits')
      .uponReceiving('a request for the model list')
      .withRequest('GET', '/api/v1/models', (b) => b.headers(AUTH))
      .willRespondWith(200, (b) =>
        b.jsonBody(
          envelope(
            eachLike({
              id: string('imagen-4'),
              name: string('Imagen 4'),
              provider: string('Google'),
              credits: integer(8),
              sub_models: eachLike({ id: string('imagen4'), credits: integer(8) }),
              aliases: like([]),
              runtime: regex('^(sync|async)$', 'async'),
              webhook: like(true),
              backend_node: string('node47'),
              prompt_max_length: integer(5000),
              parameters: like({}),
            }),
          ),
        ),
      )
      .executeTest(async (mock) => {
        const models = await client(mock.url).listModels();
        expect(models[0]?.id).toBe('imagen-4');
      }));

  it('reads one model by a sub-model id', () =>
    pact
      .addInteraction()
      .given('an API key with credits')
      .uponReceiving('a request for model imagen4')
      .withRequest('GET', '/api/v1/models/imagen4', (b) => b.headers(AUTH))
      .willRespondWith(200, (b) =>
        b.jsonBody(
          envelope(
            like({
              id: 'imagen-4',
              name: 'Imagen 4',
              provider: 'Google',
              credits: 8,
              sub_models: eachLike({ id: 'imagen4', credits: 8 }),
              aliases: [],
              runtime: 'async',
              webhook: true,
              backend_node: 'node47',
              prompt_max_length: 5000,
              parameters: {},
            }),
          ),
        ),
      )
      .executeTest(async (mock) => {
        expect((await client(mock.url).getModel('imagen4')).id).toBe('imagen-4');
      }));

  it('reads the credit balance', () =>
    pact
      .addInteraction()
      .given('an API key with credits')
      .uponReceiving('a request for the credit balance')
      .withRequest('GET', '/api/v1/credits', (b) => b.headers(AUTH))
      .willRespondWith(200, (b) =>
        b.jsonBody(envelope({ balance: integer(10000), held: integer(0), available: integer(10000) })),
      )
      .executeTest(async (mock) => {
        const c = await client(mock.url).getCredits();
        expect(c.available).toBe(c.balance - c.held);
      }));
});
