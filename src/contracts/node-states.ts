import { admin, type StateHandlers, type StateParams, type Target } from './target.js';

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

/**
 * The node pact's provider states, for a gwsim node: each interaction starts from a reset node,
 * and a job in a given state is a fixture (`POST /_sim/jobs`) that stays in it, on any clock or
 * time scale.
 */
export function nodeStates(target: Target): { stateHandlers: StateHandlers; beforeEach: () => Promise<unknown> } {
  return {
    beforeEach: () => admin(target, 'POST', '/reset'),
    stateHandlers: {
      'the node is up': async () => undefined,
      'a job exists': async (params: StateParams) => {
        const { job_id, state } = (params ?? {}) as { job_id?: string; state?: string };
        if (!job_id || !state) throw new Error("state 'a job exists' needs job_id and state");
        await admin(target, 'POST', '/jobs', { ...pactJob(job_id), state });
        return undefined;
      },
    },
  };
}
