import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runScenario, type Recording } from '../helpers/determinism-scenario.js';

/**
 * The manual clock's bytes stay what they were before the event path (issue 16): the fixture was
 * written by this scenario on the code that polled every task on every tick, and is replayed here.
 * `GWSIM_RECORD_DETERMINISM=1` writes it again; do that only on purpose, and commit it on its own.
 */
const FIXTURE = new URL('../fixtures/determinism-before.json', import.meta.url);

describe('determinism against the recording from before the event path', () => {
  if (process.env.GWSIM_RECORD_DETERMINISM === '1') {
    it('writes the recording', async () => {
      const recording = await runScenario(11, 'in-process');
      expect(await runScenario(11, 'in-process')).toEqual(recording);
      writeFileSync(FIXTURE, `${JSON.stringify(recording, null, 2)}\n`);
    }, 60_000);
    return;
  }

  const recorded = existsSync(FIXTURE) ? (JSON.parse(readFileSync(FIXTURE, 'utf8')) as Recording) : undefined;

  it('the recording covers what it must: queueing, a fault, failures, webhooks, a sync task', () => {
    expect(recorded, 'test/fixtures/determinism-before.json is missing').toBeDefined();
    const text = JSON.stringify(recorded);
    for (const needle of ['"IN_QUEUE"', '"node_lost"', '"FAILED"', '"COMPLETED"', 'sync cogview-4', '"capture"'])
      expect(text, needle).toContain(needle);
    expect(recorded?.webhooks.length).toBeGreaterThan(3);
    expect(recorded?.images.length).toBeGreaterThan(0);
  });

  for (const transport of ['in-process', 'http'] as const) {
    it(`the same seed replays the same bytes (${transport} nodes)`, async () => {
      const replay = await runScenario(11, transport);
      expect(replay.exchanges).toEqual(recorded?.exchanges);
      expect(replay.webhooks).toEqual(recorded?.webhooks);
      expect(replay.images).toEqual(recorded?.images);
    }, 60_000);
  }
});
