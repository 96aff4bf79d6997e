import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

// The bench runs from dist/ (it spawns the built CLI and preloads the built probe); global setup builds it.
const bench = async () => ({
  ...((await import(`${ROOT}dist/bench/memory.js`)) as typeof import('../../src/bench/memory.js')),
  ...((await import(`${ROOT}dist/bench/load-shapes.js`)) as typeof import('../../src/bench/load-shapes.js')),
});

describe('the bench memory step', () => {
  it('holds tasks in flight in a real gwsim process and reports its RSS and heap per task', async () => {
    const { inFlightMemory, benchConfig } = await bench();
    const config = benchConfig('in-process');
    // vitest's workers end without an 'exit' event, so the config's own cleanup never runs here.
    const m = await inFlightMemory(config, 300).finally(() =>
      rmSync(dirname(config), { recursive: true, force: true }),
    );
    expect(m.tasks).toBe(300);
    expect(m.rssBytes).toBeGreaterThan(m.heapBytes);
    // Every task is held somewhere (a record, a hold, a node job), so the heap after a full GC grew.
    expect(m.heapBytes).toBeGreaterThan(m.heapBeforeBytes);
    expect(m.heapPerTaskBytes).toBe((m.heapBytes - m.heapBeforeBytes) / 300);
    expect(m.heapPerTaskBytes).toBeGreaterThan(100);
    expect(m.submitSeconds).toBeGreaterThan(0);
  }, 60_000);
});
