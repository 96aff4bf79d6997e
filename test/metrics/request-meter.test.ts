import { describe, expect, it } from 'vitest';
import { Metrics } from '../../src/metrics/metrics.js';

const live = { queueDepth: async () => ({}), running: async () => ({}), creditsHeld: async () => 0 };
const requestLines = (text: string) => text.split('\n').filter((l) => l.startsWith('gwsim_requests_total'));

describe('Metrics.requestMeter', () => {
  it('publishes the counts it keeps when collected, with the series in the order first seen, as prom-client would', async () => {
    const metrics = new Metrics(live);
    const submit = metrics.requestMeter('createImageGeneration');
    const poll = metrics.requestMeter('getTask');
    poll(404, 0.001);
    submit(200, 0.002);
    poll(404, 0.001);
    expect(requestLines(await metrics.text())).toEqual([
      'gwsim_requests_total{operation="getTask",status="404"} 2',
      'gwsim_requests_total{operation="createImageGeneration",status="200"} 1',
    ]);
    submit(200, 0.002);
    poll(200, 0.001);
    expect(requestLines(await metrics.text())).toEqual([
      'gwsim_requests_total{operation="getTask",status="404"} 2',
      'gwsim_requests_total{operation="createImageGeneration",status="200"} 2',
      'gwsim_requests_total{operation="getTask",status="200"} 1',
    ]);
    expect(await metrics.text()).toContain('gwsim_request_duration_seconds_count{operation="getTask"} 3');
  });

  it('drops uncollected counts on reset, and orders series by what is seen after it', async () => {
    const metrics = new Metrics(live);
    const submit = metrics.requestMeter('createImageGeneration');
    const poll = metrics.requestMeter('getTask');
    submit(200, 0.002);
    poll(200, 0.001);
    metrics.reset();
    poll(200, 0.001);
    submit(200, 0.002);
    submit(200, 0.002);
    expect(requestLines(await metrics.text())).toEqual([
      'gwsim_requests_total{operation="getTask",status="200"} 1',
      'gwsim_requests_total{operation="createImageGeneration",status="200"} 2',
    ]);
  });
});
