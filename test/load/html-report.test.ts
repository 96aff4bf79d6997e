import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { htmlReport } from '../../src/load/html-report.js';
import type { LoadReport } from '../../src/load/report.js';
import { runLoad } from '../../src/load/runner.js';
import { parseScenario } from '../../src/load/scenario.js';
import { DEV, startTestSim } from '../helpers/sim.js';

const CHROMIUM = '/usr/bin/chromium';

/** The DOM a chart is read through (the project's TypeScript has no DOM library). */
interface Node {
  id: string;
  textContent: string | null;
  getAttribute(name: string): string | null;
  querySelectorAll(selector: string): ArrayLike<Node>;
  getBoundingClientRect(): { height: number };
}
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let dir: string;
let report: LoadReport;
let browser: BrowserContext;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gwsim-html-'));
  const sim = await startTestSim({ clock: 'real', timeScale: 0.001 });
  try {
    const scenario = parseScenario(
      {
        name: 'html <check> & "quotes"',
        rate: 40,
        duration: '600ms',
        journeys: { poll: 1, webhook: 1 },
        mix: [{ model: 'imagen4-fast' }, { model: 'cogview-4' }, { model: 'seedream' }],
        poll: { interval: '5ms' },
        thresholds: ['p99(submit) < 60s', 'p50(submit) < 0.001ms'],
      },
      sim.catalog,
    );
    report = await runLoad({ target: sim.url, key: DEV, scenario });
  } finally {
    await sim.close();
  }
  // Playwright wants the profile directory as an argument rather than a --user-data-dir flag.
  browser = await chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
  });
}, 30_000);

afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the HTML report', () => {
  it('opens in headless Chromium, offline, with its three charts drawn and no console errors', async () => {
    const file = join(dir, 'report.html');
    writeFileSync(file, htmlReport(report));
    const page = await browser.newPage();
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector('body[data-charts="drawn"]', { timeout: 5000 });

    const charts = await page.$$eval('svg.chart', (svgs) =>
      (svgs as unknown as Node[]).map((svg) => ({
        id: svg.id,
        paths: Array.from(svg.querySelectorAll('path.series')).map((p) => (p.getAttribute('d') ?? '').length),
        points: svg.querySelectorAll('circle').length,
        legend: Array.from(svg.querySelectorAll('text.legend')).map((t) => t.textContent),
        box: svg.getBoundingClientRect().height,
      })),
    );
    expect(charts.map((c) => c.id)).toEqual(['chart-latency', 'chart-throughput', 'chart-errors']);
    for (const c of charts) {
      expect(c.box).toBeGreaterThan(100);
      expect(c.paths.length).toBeGreaterThanOrEqual(3);
      expect(c.paths.every((len) => len > 20)).toBe(true);
      expect(c.points).toBeGreaterThan(10);
    }
    expect(charts[0]!.legend).toEqual(['submit', 'completion', 'download', 'journey']);
    expect(problems).toEqual([]);
    expect(requests).toEqual([pathToFileURL(file).href]);

    // The scenario's name is shown as text, not markup; the verdict and tables are there.
    expect(await page.title()).toBe('gwsim load: html <check> & "quotes"');
    expect(await page.textContent('.verdict')).toBe('thresholds breached');
    const cells = await page.$$eval('td', (tds) => (tds as unknown as Node[]).map((td) => td.textContent));
    expect(cells).toContain('p50(submit) < 0.001ms');
    expect(cells).toContain('submit · cogview-4');
    await page.close();
  });
});
