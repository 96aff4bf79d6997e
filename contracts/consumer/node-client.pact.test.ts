import { MatchersV3, PactV4 } from '@pact-foundation/pact';
import { describe, expect, it } from 'vitest';
import { RealClock } from '../../src/clock/clock.js';
import { PACTS_DIR, PARTICIPANTS } from '../../src/contracts/participants.js';
import { pactJob } from '../../src/contracts/node-states.js';
import { HttpNodeClient, NodeCallError } from '../../src/nodes/node-client.js';
import type { JobRequest } from '../../src/nodes/node-emulator.js';

const { regex, integer, eachLike, nullValue, string, like } = MatchersV3;

const pact = new PactV4({
  consumer: PARTICIPANTS.gateway,
  provider: PARTICIPANTS.node,
  dir: PACTS_DIR,
  logLevel: 'warn',
});
const clock = new RealClock(() => undefined);
const nodeClient = (url: string) => new HttpNodeClient(url, { node: 'node47', clock, timeoutMs: 5000 });

const JOB: JobRequest = pactJob('n47pactjob0000_imagen4');

const job = (state: string) => ({
  id: JOB.job_id,
  model: 'imagen4',
  state,
  queue_position: state === 'queued' ? integer(1) : nullValue(),
  submitted_at: integer(1767225600000),
  started_at: state === 'queued' ? nullValue() : integer(1767225600000),
  finished_at: state === 'succeeded' || state === 'failed' ? integer(1767225605113) : nullValue(),
  result:
    state === 'succeeded'
      ? {
          images: eachLike({
            index: integer(0),
            width: integer(1024),
            height: integer(1024),
            content_type: 'image/png',
          }),
        }
      : nullValue(),
  error:
    state === 'failed'
      ? { type: string('provider_error'), detail: string('The provider failed to generate the image') }
      : nullValue(),
});

describe('api-in-one-gateway → provider-node', () => {
  it('submits a job', () =>
    pact
      .addInteraction()
      .given('the node is up')
      .uponReceiving('a job for imagen4')
      .withRequest('POST', '/v1/jobs', (b) => b.headers({ 'content-type': 'application/json' }).jsonBody(JOB))
      .willRespondWith(202, (b) =>
        b.jsonBody({ ...job('running'), state: regex('^(queued|running)$', 'running'), queue_position: like(null) }),
      )
      .executeTest(async (mock) => {
        const j = await nodeClient(mock.url).submit(JOB);
        expect(['queued', 'running']).toContain(j.state);
      }));

  for (const state of ['running', 'succeeded', 'failed'] as const) {
    it(`reads a job that has ${state === 'running' ? 'started' : state}`, () =>
      pact
        .addInteraction()
        .given('a job exists', { job_id: JOB.job_id, state })
        .uponReceiving(`a request for a ${state} job`)
        .withRequest('GET', `/v1/jobs/${JOB.job_id}`)
        .willRespondWith(200, (b) => b.jsonBody(job(state)))
        .executeTest(async (mock) => {
          expect((await nodeClient(mock.url).getJob(JOB.job_id))?.state).toBe(state);
        }));
  }

  it('reads several jobs in one call, learning which the node does not know', () =>
    pact
      .addInteraction()
      .given('a job exists', { job_id: JOB.job_id, state: 'running' })
      .uponReceiving('a batch read of a running job and an unknown one')
      .withRequest('GET', '/v1/jobs', (b) => b.query({ ids: `${JOB.job_id},n47nosuchjob000_imagen4` }))
      .willRespondWith(200, (b) => b.jsonBody({ jobs: [job('running')], missing: ['n47nosuchjob000_imagen4'] }))
      .executeTest(async (mock) => {
        const jobs = await nodeClient(mock.url).getJobs([JOB.job_id, 'n47nosuchjob000_imagen4']);
        expect([...jobs.keys()]).toEqual([JOB.job_id]);
        expect(jobs.get(JOB.job_id)?.state).toBe('running');
      }));

  it('is refused a batch read of more than 100 jobs', () => {
    const ids = Array.from({ length: 101 }, (_, i) => `n47j${i}`);
    return pact
      .addInteraction()
      .given('the node is up')
      .uponReceiving('a batch read of 101 jobs')
      .withRequest('GET', '/v1/jobs', (b) => b.query({ ids: ids.join(',') }))
      .willRespondWith(400, (b) =>
        b.jsonBody({ error: { type: 'invalid_request', detail: string("'ids' has 101 ids, at most 100") } }),
      )
      .executeTest(async (mock) => {
        const err = await nodeClient(mock.url)
          .getJobs(ids)
          .catch((e: unknown) => e);
        expect(err).toBeInstanceOf(NodeCallError);
        expect((err as NodeCallError).kind).toBe('rejected');
      });
  });

  it('learns that a job is unknown', () =>
    pact
      .addInteraction()
      .given('the node is up')
      .uponReceiving('a request for an unknown job')
      .withRequest('GET', '/v1/jobs/n47nosuchjob000_imagen4')
      .willRespondWith(404, (b) =>
        b.jsonBody({ error: { type: string('not_found'), detail: string('no job n47nosuchjob000_imagen4') } }),
      )
      .executeTest(async (mock) => {
        expect(await nodeClient(mock.url).getJob('n47nosuchjob000_imagen4')).toBeUndefined();
      }));

  it('is refused a job for a model the node does not serve', () =>
    pact
      .addInteraction()
      .given('the node is up')
      .uponReceiving('a job for a model the node does not serve')
      .withRequest('POST', '/v1/jobs', (b) =>
        b
          .headers({ 'content-type': 'application/json' })
          .jsonBody({ ...JOB, job_id: 'n47otherjob000_cogview4', model: 'cogview-4' }),
      )
      .willRespondWith(400, (b) =>
        b.jsonBody({ error: { type: 'unsupported_model', detail: string("node47 does not serve model 'cogview-4'") } }),
      )
      .executeTest(async (mock) => {
        const err = await nodeClient(mock.url)
          .submit({ ...JOB, job_id: 'n47otherjob000_cogview4', model: 'cogview-4' })
          .catch((e: unknown) => e);
        expect(err).toBeInstanceOf(NodeCallError);
        expect((err as NodeCallError).kind).toBe('rejected');
      }));

  it('reads the health of the node', () =>
    pact
      .addInteraction()
      .given('the node is up')
      .uponReceiving('a health check')
      .withRequest('GET', '/v1/health')
      .willRespondWith(200, (b) =>
        b.jsonBody({
          status: regex('^(ok|degraded)$', 'ok'),
          node: string('node47'),
          capacity: integer(8),
          running: integer(0),
          queued: integer(0),
        }),
      )
      .executeTest(async (mock) => {
        expect((await nodeClient(mock.url).health()).status).toBe('ok');
      }));
});
