import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { TaskView } from '../../src/gateway/task.js';
import { SEED_IMAGEN, startTestSim, type Envelope, type TestSim } from '../helpers/sim.js';

const CHROMIUM = '/usr/bin/chromium';
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
/** Where the run leaves its screenshot (gitignored). */
const REPORTS = join(import.meta.dirname, '../../reports');
const NO_FAILURES = {
  models: { 'imagen-4': { failure_rate: 0 }, seedream: { failure_rate: 0 }, 'flux-2': { failure_rate: 0 } },
};
// Waits end as soon as the page shows what they wait for; the bound is for a busy CI machine (one
// full CI run missed the task detail by 5 s, though the test passes alone).
const WAIT = { timeout: 15_000 };

let dir: string;
let browser: BrowserContext;
let sim: TestSim | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'gwsim-ui-'));
  // Playwright wants the profile directory as an argument rather than a --user-data-dir flag.
  browser = await chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1400, height: 1000 },
  });
}, 30_000);

afterAll(async () => {
  await browser?.close();
  rmSync(dir, { recursive: true, force: true });
});

afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

interface Watched {
  page: Page;
  problems: string[];
  /** Every URL the page asked for. */
  requests: string[];
}

/** A page on the dashboard, with its console errors and requests recorded. */
async function openDashboard(s: TestSim, live = true): Promise<Watched> {
  const page = await browser.newPage();
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(`${s.url}/_sim/ui`);
  if (live) await page.waitForSelector('body[data-live="on"]', WAIT);
  return { page, problems, requests };
}

async function submit(s: TestSim, body: unknown = SEED_IMAGEN): Promise<TaskView> {
  const reply = await s.call<Envelope<TaskView>>('POST', '/api/v1/images/generations', { body });
  expect(reply.status).toBe(200);
  return reply.body.data;
}

/** The page's document as the functions Playwright runs there use it (the project's TypeScript has no DOM types). */
interface PageDoc {
  querySelectorAll(selector: string): { length: number };
  querySelector(selector: string): { textContent: string | null; naturalWidth?: number } | null;
}
// Functions, not strings: the page's Content-Security-Policy forbids evaluating strings.
const rowsAre = (page: Page, n: number) =>
  page.waitForFunction(
    (want) =>
      (globalThis as unknown as { document: PageDoc }).document.querySelectorAll('[data-testid^="task-row-"]')
        .length === want,
    n,
    WAIT,
  );
const textHas = (page: Page, testid: string, text: string) =>
  page.waitForFunction(
    ([id, t]) =>
      (
        (globalThis as unknown as { document: PageDoc }).document.querySelector(`[data-testid="${id}"]`)?.textContent ??
        ''
      ).includes(t),
    [testid, text] as const,
    WAIT,
  );

const row = (page: Page, id: string, status: string) =>
  page.waitForSelector(`[data-testid="task-row-${id}"][data-status="${status}"]`, WAIT);

describe('the dashboard in headless Chromium', () => {
  it('loads with no console error and asks nothing of anyone but the simulator; a task submitted later appears and completes, without a reload', async () => {
    sim = await startTestSim({ clock: 'real', timeScale: 0.02, config: NO_FAILURES });
    const { page, problems, requests } = await openDashboard(sim);
    await page.evaluate('window.gwsimLoaded = "first load"');
    expect(await page.textContent('[data-testid="clock-mode"]')).toBe('real');
    expect(await page.isHidden('[data-testid="clock-advance"]')).toBe(true);

    const task = await submit(sim);
    await row(page, task.task_id, 'COMPLETED');
    expect(await page.textContent(`[data-testid="task-row-${task.task_id}"]`)).toContain('imagen-4');
    // The same document all along: no reload, no navigation.
    expect(await page.evaluate('window.gwsimLoaded')).toBe('first load');

    // A click opens the task: attempts, webhook deliveries, and its image from the simulator.
    await page.click(`[data-testid="task-row-${task.task_id}"]`);
    await page.waitForSelector('[data-testid="task-detail"] [data-testid="task-attempts"]', WAIT);
    expect(await page.textContent('[data-testid="task-attempts"]')).toContain('accepted');
    await page.waitForFunction(
      () =>
        ((globalThis as unknown as { document: PageDoc }).document.querySelector('[data-testid="task-image"]')
          ?.naturalWidth ?? 0) > 0,
      undefined,
      WAIT,
    );
    await page.waitForSelector('body[data-charts="drawn"]', WAIT);

    expect(problems).toEqual([]);
    const elsewhere = requests.filter((u) => !u.startsWith(`${sim!.url}/`) && !u.startsWith('data:'));
    expect(elsewhere).toEqual([]);
    expect(requests).toContain(`${sim.url}/_sim/events`);
    await page.close();
  });

  it('injects a node outage from the form: the node shows it, /_sim/faults lists it, and a click clears it', async () => {
    sim = await startTestSim({ config: NO_FAILURES });
    const { page, problems } = await openDashboard(sim);
    const targets = await page.$$eval('[data-testid="fault-target"] option', (os) =>
      os.map((o) => (o as unknown as { value: string }).value),
    );
    expect(targets).toEqual(expect.arrayContaining(['node41', 'node47', 'model:imagen-4', 'webhooks']));
    await page.selectOption('[data-testid="fault-target"]', 'node41');
    await page.selectOption('[data-testid="fault-kind"]', 'outage');
    await page.fill('[data-testid="fault-duration"]', '600000');
    await page.click('[data-testid="fault-submit"]');
    await page.waitForSelector('[data-testid="node-row-node41"][data-faults~="outage"]', WAIT);

    const faults = await sim.admin_<Array<{ id: string; target: string; kind: string; ends_at: number | null }>>(
      'GET',
      '/faults',
    );
    expect(faults.body).toEqual([
      expect.objectContaining({ target: 'node41', kind: 'outage', ends_at: sim.clock.now() + 600_000 }),
    ]);
    await page.waitForSelector(`[data-testid="fault-row-${faults.body[0]!.id}"]`, WAIT);

    // The kinds follow the target: webhook chaos for `webhooks`.
    await page.selectOption('[data-testid="fault-target"]', 'webhooks');
    expect(
      await page.$$eval('[data-testid="fault-kind"] option', (os) =>
        os.map((o) => (o as unknown as { value: string }).value),
      ),
    ).toEqual(['duplicate', 'delay', 'reorder']);
    // A bad value is the admin API's own 400, shown on the page.
    await page.selectOption('[data-testid="fault-target"]', 'node47');
    await page.selectOption('[data-testid="fault-kind"]', 'error_rate');
    await page.fill('[data-testid="fault-value"]', '7');
    await page.click('[data-testid="fault-submit"]');
    await textHas(page, 'fault-error', "'value'");

    await page.click(`[data-testid="fault-clear-${faults.body[0]!.id}"]`);
    await page.waitForSelector('[data-testid="node-row-node41"][data-faults=""]', WAIT);
    expect((await sim.admin_<unknown[]>('GET', '/faults')).body).toEqual([]);
    // "clear all" clears every fault, whoever added it.
    await sim.admin_('POST', '/faults', { target: 'model:imagen-4', kind: 'latency_multiplier', value: 2 });
    await sim.admin_('POST', '/faults', { target: 'webhooks', kind: 'duplicate' });
    await page.waitForSelector('[data-testid^="fault-row-"]', WAIT);
    await page.click('[data-testid="fault-clear-all"]');
    await page.waitForSelector('[data-testid^="fault-row-"]', { state: 'detached', timeout: 5000 });
    expect((await sim.admin_<unknown[]>('GET', '/faults')).body).toEqual([]);
    // The one console line is Chromium's own note of the 400 asked for above.
    expect(problems).toEqual([
      'error: Failed to load resource: the server responded with a status of 400 (Bad Request)',
    ]);
    await page.close();
  });

  it('advances a manual clock from the page, and the tasks move', async () => {
    sim = await startTestSim({ config: NO_FAILURES });
    const { page, problems } = await openDashboard(sim);
    expect(await page.textContent('[data-testid="clock-mode"]')).toBe('manual');
    const task = await submit(sim);
    await row(page, task.task_id, 'IN_PROGRESS');
    const before = sim.clock.now();
    await page.fill('[data-testid="clock-advance-ms"]', '60000');
    await page.click('[data-testid="clock-advance"]');
    await row(page, task.task_id, 'COMPLETED');
    expect(sim.clock.now()).toBe(before + 60_000);
    expect(await page.textContent('[data-testid="clock-now"]')).toContain(
      new Date(before + 60_000).toISOString().slice(11, 19),
    );
    expect(problems).toEqual([]);
    await page.close();
  });

  it('filters tasks by status, model and key on the server, follows them live, and pages back', async () => {
    sim = await startTestSim({ config: NO_FAILURES });
    for (let i = 0; i < 3; i++) await submit(sim);
    const other = await submit(sim, { model: 'seedream', prompt: 'a lighthouse at dusk' });
    const { page, problems } = await openDashboard(sim);
    const rows = async () =>
      page.$$eval('[data-testid^="task-row-"]', (rs) =>
        rs.map((r) => (r as unknown as { getAttribute(n: string): string }).getAttribute('data-status')),
      );
    expect(await rows()).toHaveLength(4);

    await page.selectOption('[data-testid="task-filter-model"]', 'seedream');
    await page.click('#task-filter button[type="submit"]');
    await rowsAre(page, 1);
    expect(await page.isVisible(`[data-testid="task-row-${other.task_id}"]`)).toBe(true);

    await page.selectOption('[data-testid="task-filter-model"]', '');
    await page.selectOption('[data-testid="task-filter-status"]', 'IN_PROGRESS');
    await page.fill('[data-testid="task-filter-key"]', 'aio_dev_key');
    await page.click('#task-filter button[type="submit"]');
    await rowsAre(page, 4);
    // They finish: they leave the IN_PROGRESS list as it happens.
    await sim.clock.advance(60_000);
    await rowsAre(page, 0);
    expect(await page.textContent('[data-testid="task-total"]')).toContain('0 matching');

    // Older pages come from the server's cursor: 55 tasks are two pages of 50.
    for (let i = 0; i < 51; i++) await submit(sim);
    await page.selectOption('[data-testid="task-filter-status"]', '');
    await page.click('#task-filter button[type="submit"]');
    await rowsAre(page, 50);
    await page.click('[data-testid="tasks-older"]');
    await rowsAre(page, 5);
    expect(await page.isVisible(`[data-testid="task-row-${other.task_id}"]`)).toBe(true);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('with an admin token set, the page without it gets nothing; given it once, it keeps it for the tab', async () => {
    sim = await startTestSim({ adminToken: 'tok-18', config: NO_FAILURES });
    await submit(sim);
    const { page, requests } = await openDashboard(sim, false);
    await page.waitForSelector('body[data-live="locked"]', WAIT);
    expect(await page.isVisible('[data-testid="token-input"]')).toBe(true);
    expect(await page.isHidden('#main')).toBe(true);
    expect(await page.$$('[data-testid^="task-row-"]')).toHaveLength(0);
    expect(await page.$$('[data-testid^="key-row-"]')).toHaveLength(0);
    expect(await page.content()).not.toContain('aio_dev_key');
    expect(requests).toContain(`${sim.url}/_sim/events`);

    await page.fill('[data-testid="token-input"]', 'wrong');
    await page.click('[data-testid="token-submit"]');
    await textHas(page, 'token-error', 'GWSIM_ADMIN_TOKEN');
    await page.fill('[data-testid="token-input"]', 'tok-18');
    await page.click('[data-testid="token-submit"]');
    await page.waitForSelector('body[data-live="on"]', WAIT);
    await page.waitForSelector('[data-testid="key-row-aio_dev_key"]', WAIT);
    // The task list is its own fetch: wait for it rather than race it.
    await page.waitForSelector('[data-testid^="task-row-"]', WAIT);
    expect(await page.$$('[data-testid^="task-row-"]')).toHaveLength(1);
    // Asked once: a reload in the same tab goes straight in.
    await page.reload();
    await page.waitForSelector('body[data-live="on"]', WAIT);
    await page.close();
  });

  it('shows a busy simulator, and leaves a screenshot of it', async () => {
    // node41's injected errors must not open its circuit (flux-2 has no other route): submits stay 200.
    sim = await startTestSim({
      clock: 'real',
      timeScale: 0.05,
      config: {
        nodes: { node47: { capacity: 1 }, node43: { capacity: 2 } },
        routing: { circuit: { threshold: 1000 } },
      },
    });
    const { page, problems } = await openDashboard(sim);
    await sim.admin_('POST', '/faults', { target: 'node41', kind: 'error_rate', value: 0.3, duration_ms: 600_000 });
    const mix = [
      SEED_IMAGEN,
      { model: 'seedream', prompt: 'a lighthouse at dusk' },
      { model: 'flux-2', prompt: 'a fox in the snow, watercolour' },
    ];
    // About 3 s of traffic at ~25 submits a second, bounded.
    for (let i = 0; i < 75; i++) {
      await submit(sim, mix[i % mix.length]);
      await new Promise((r) => setTimeout(r, 40));
    }
    await page.waitForSelector('body[data-charts="drawn"]', WAIT);
    await page.waitForSelector('#chart-latency path.series', WAIT);
    await page.waitForSelector('#chart-throughput path.series', WAIT);
    await new Promise((r) => setTimeout(r, 800)); // one more chart redraw
    mkdirSync(REPORTS, { recursive: true });
    await page.screenshot({ path: join(REPORTS, 'dashboard.png') });
    expect(problems).toEqual([]);
    await page.close();
  }, 30_000);
});
