import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { DiffReport } from '../../src/record/diff.js';
import { exited, run, startGwsim, within } from '../helpers/cli.js';
import { DIFF_LIMIT_MS, SEVERAL_CHILDREN_MS } from './limits.js';
import { freePort } from '../helpers/redis-server.js';
import { clientSession } from './session-client.js';
import { startStandIn, type StandIn } from './stand-in-gateway.js';

const dir = mkdtempSync(join(tmpdir(), 'gwsim-record-'));
const har = join(dir, 'session.har');
let standIn: StandIn;

describe('record a session with the real gateway, diff it, calibrate', () => {
  beforeAll(async () => {
    standIn = await startStandIn();
    const hookPort = await freePort();
    const { child, firstLine } = await startGwsim([
      'record',
      '--target',
      standIn.url,
      '--port',
      '0',
      '--out',
      har,
      '--webhook-listen',
      `127.0.0.1:${hookPort}`,
    ]);
    const url = /^gwsim record listening on (http:\/\/\S+)$/.exec(firstLine)?.[1];
    expect(url, firstLine).toBeDefined();
    await clientSession(url!, `http://127.0.0.1:${hookPort}`);
    await new Promise((r) => setTimeout(r, 100)); // the webhook trails its task
    process.kill(child.pid!, 'SIGTERM');
    expect((await within(exited(child), 'gwsim record to stop')).code).toBe(0);
  }, SEVERAL_CHILDREN_MS);
  afterAll(() => standIn.close());

  it('writes a complete HAR 1.2 with timings, webhook deliveries included', () => {
    const doc = JSON.parse(readFileSync(har, 'utf8')) as {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a HAR entry read loosely, then asserted on
      log: { version: string; creator: { name: string }; entries: Array<Record<string, any>> };
    };
    expect(doc.log.version).toBe('1.2');
    expect(doc.log.creator.name).toBe('gwsim record');
    const entries = doc.log.entries;
    expect(entries.length).toBeGreaterThan(20);
    for (const e of entries) {
      expect(e.time).toBeGreaterThanOrEqual(0);
      expect(e.timings.wait).toBeGreaterThanOrEqual(0);
      expect(Date.parse(e.startedDateTime)).not.toBeNaN();
    }
    const hooks = entries.filter((e) => e._gwsim_kind === 'webhook');
    expect(hooks).toHaveLength(1);
    expect(JSON.parse(hooks[0]!.request.postData.text).data.status).toMatch(/COMPLETED|FAILED/);
  });

  it(
    'diff names every drift, and exits 1',
    async () => {
      const json = join(dir, 'diff.json');
      const junit = join(dir, 'diff.xml');
      const { code, stdout, stderr } = await run(['diff', har, '--json', json, '--junit', junit], DIFF_LIMIT_MS);
      expect(stderr).toBe('');
      expect(stdout).toContain('extra field $.data.eta_ms (number) in the recording');
      expect(stdout).toContain('missing field $.data.queue_position');
      expect(stdout).toContain(
        'different type at $.data.credits_charged: string in the recording, number from the simulator',
      );
      expect(stdout).toMatch(/imagen-4 .*GAP/);
      expect(stdout).toMatch(/cogview-4 +recorded 5 +simulator 4 +DIFFERS/);
      expect(code).toBe(1);
      const report = JSON.parse(readFileSync(json, 'utf8')) as DiffReport;
      expect(report.verdict).toBe('different');
      expect(report.timings.find((t) => t.model === 'imagen-4')).toMatchObject({ samples: 8, gap: true });
      expect(report.differences.map((d) => d.path)).toEqual(
        expect.arrayContaining(['$.data.eta_ms', '$.data.queue_position', '$.data.credits_charged']),
      );
      const xml = readFileSync(junit, 'utf8');
      expect(xml).toContain('<testsuite name="gwsim diff: structure"');
      expect(xml).toMatch(/<failure message="[^"]*eta_ms/);
    },
    SEVERAL_CHILDREN_MS,
  );

  it(
    'ignores the paths --ignore names',
    async () => {
      const json = join(dir, 'ignored.json');
      await run(
        ['diff', har, '--ignore', 'data.eta_ms', '--ignore', '$.data.queue_position', '--json', json],
        DIFF_LIMIT_MS,
      );
      const paths = (JSON.parse(readFileSync(json, 'utf8')) as DiffReport).differences.map((d) => d.path);
      expect(paths).not.toContain('$.data.eta_ms');
      expect(paths).not.toContain('$.data.queue_position');
      expect(paths).toContain('$.data.credits_charged');
    },
    SEVERAL_CHILDREN_MS,
  );

  it(
    'calibrate fits what it has samples for; gwsim serve --config of it leaves no timing gap',
    async () => {
      const config = join(dir, 'gwsim.config.yaml');
      const cal = await run(['calibrate', har, '--out', config]);
      expect(cal.code).toBe(0);
      expect(cal.stdout).toMatch(/cogview-4 +not fitted: 2 tasks seen ending, fewer than 5/);
      const text = readFileSync(config, 'utf8');
      expect(text).toContain('# 8 tasks ended, 1 failed');
      expect(text).toMatch(/401 authentication_error +POST \/images\/generations/);
      const models = (
        parseYaml(text) as {
          models: Record<
            string,
            { latency_ms?: { p5: number; p95: number }; failure_rate?: number; credits?: Record<string, number> }
          >;
        }
      ).models;
      const imagen = models['imagen-4']!;
      expect(imagen.failure_rate).toBe(0.125);
      expect(imagen.latency_ms!.p5).toBeGreaterThanOrEqual(150);
      expect(imagen.latency_ms!.p95).toBeLessThan(1_000);
      expect(models['cogview-4']).toEqual({ credits: { 'cogview-4': 5 } });

      const { child, firstLine } = await startGwsim(['serve', '--port', '0', '--clock', 'manual', '--config', config]);
      const url = firstLine.replace('gwsim listening on ', '');
      const json = join(dir, 'calibrated.json');
      const { code, stdout } = await run(['diff', har, '--against', url, '--json', json], DIFF_LIMIT_MS);
      process.kill(child.pid!, 'SIGTERM');
      const report = JSON.parse(readFileSync(json, 'utf8')) as DiffReport;
      expect(report.timings.find((t) => t.model === 'imagen-4')).toMatchObject({ samples: 8, gap: false });
      expect(report.timingGaps).toBe(0);
      expect(report.priceDifferences).toBe(0);
      expect(stdout).not.toContain('GAP');
      expect(code).toBe(1); // the shape drifts remain: calibrate fits behaviour, not structure
    },
    SEVERAL_CHILDREN_MS,
  );
});
