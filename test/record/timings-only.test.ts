import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { DiffReport } from '../../src/record/diff.js';
import { exited, run, startGwsim, within } from '../helpers/cli.js';
import { DIFF_LIMIT_MS, SEVERAL_CHILDREN_MS } from './limits.js';
import { clientSession } from './session-client.js';

const dir = mkdtempSync(join(tmpdir(), 'gwsim-timings-'));

it(
  'a recording of a gwsim 100× faster than its catalog: only timings differ, exit 0, and it says so',
  async () => {
    const sim = await startGwsim(['serve', '--port', '0', '--time-scale', '0.01']);
    const target = sim.firstLine.replace('gwsim listening on ', '');
    const har = join(dir, 'fast.har');
    const rec = await startGwsim(['record', '--target', target, '--port', '0', '--out', har]);
    await clientSession(rec.firstLine.replace('gwsim record listening on ', ''), undefined, 'aio_dev_key');
    process.kill(rec.child.pid!, 'SIGTERM');
    await within(exited(rec.child), 'gwsim record to stop');
    process.kill(sim.child.pid!, 'SIGTERM');

    const json = join(dir, 'fast.json');
    const { code, stdout } = await run(['diff', har, '--json', json], DIFF_LIMIT_MS);
    const report = JSON.parse(readFileSync(json, 'utf8')) as DiffReport;
    expect(report.differences).toEqual([]);
    expect(report.timings.find((t) => t.model === 'imagen-4')).toMatchObject({ samples: 8, gap: true });
    expect(stdout).toContain('only timings differ (1 model with a timing gap): structure and prices match');
    expect(code).toBe(0);
  },
  SEVERAL_CHILDREN_MS,
);
