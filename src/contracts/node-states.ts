import { admin, call, type StateHandlers, type StateParams, type Target } from './target.js';

/** A job as the node pact's consumer sends it; states create it under the id the pact names. */
export const pactJob = (jobId: string) => ({
  job_id: jobId,
  model: 'imagen4',
  prompt: 'A photorealistic bowl of ramen',
  params: { aspect_ratio: '1:1', num_images: 1 },
  num_images: 1,
  width: 1024,
  height: 1024,
});

/** Faults that make the job end as wanted: slow for `running`, failing for `failed`. */
const SHAPING: Record<string, object | undefined> = {
  running: { target: 'model:imagen-4', kind: 'latency_multiplier', value: 1000 },
  failed: { target: 'model:imagen-4', kind: 'error_rate', value: 1 },
};

/**
 * The node pact's provider states, for a gwsim node (`gwsim node`, started with a small
 * --time-scale so jobs finish quickly): each interaction starts from a reset node, jobs are
 * created through the node API, their outcome shaped through the node's `/_sim/faults`.
 */
export function nodeStates(target: Target): { stateHandlers: StateHandlers; beforeEach: () => Promise<unknown> } {
  return {
    beforeEach: () => admin(target, 'POST', '/reset'),
    stateHandlers: {
      'the node is up': async () => undefined,
      'a job exists': async (params: StateParams) => {
        const { job_id, state } = (params ?? {}) as { job_id?: string; state?: string };
        if (!job_id || !state) throw new Error("state 'a job exists' needs job_id and state");
        const shaping = SHAPING[state];
        if (shaping) await admin(target, 'POST', '/faults', shaping);
        const submitted = await call(`${target.baseUrl}/v1/jobs`, 'POST', pactJob(job_id));
        if (submitted.status !== 202) throw new Error(`state 'a job exists': submit answered ${submitted.status}`);
        for (let i = 0; i < 400; i++) {
          const r = await call<{ state?: string }>(`${target.baseUrl}/v1/jobs/${job_id}`, 'GET');
          if (r.body.state === state) return undefined;
          await new Promise((res) => setTimeout(res, 5));
        }
        throw new Error(`state 'a job exists': job ${job_id} never reached ${state}`);
      },
    },
  };
}
