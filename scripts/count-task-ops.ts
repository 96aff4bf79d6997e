/**
 * Store operations, clock timers and node polls per task on the manual clock: `tasks` imagen4
 * submits at once (node47's capacity raised so none queue), then the clock advanced until all
 * are done. `npx tsx scripts/count-task-ops.ts [timeScale] [tasks]`. Prints one JSON line.
 */
import { createSimulator } from '../src/simulator.js';

const timeScale = Number(process.argv[2] ?? 1);
const tasks = Number(process.argv[3] ?? 200);
const core = await createSimulator({
  clock: 'manual',
  timeScale,
  seed: 3,
  config: {
    keys: [{ key: 'aio_ops_key', credits: 10_000_000, rate_limit: { requests: 1e9, window_s: 60 } }],
    nodes: { node47: { capacity: 100_000 } },
  },
});
const counts: Record<string, number> = {};
const store = core.store as unknown as Record<string, unknown>;
for (const name of Object.getOwnPropertyNames(Object.getPrototypeOf(store))) {
  const fn = store[name];
  if (name === 'constructor' || typeof fn !== 'function') continue;
  store[name] = (...args: unknown[]) => ((counts[name] = (counts[name] ?? 0) + 1), (fn as Function).apply(store, args));
}
let timers = 0;
const clock = core.clock as unknown as { schedule: (...a: unknown[]) => unknown };
const schedule = clock.schedule.bind(clock);
clock.schedule = (...a: unknown[]) => (timers++, schedule(...a));

const key = await core.service.authenticate('Bearer aio_ops_key');
const body = { model: 'imagen4', prompt: 'a photorealistic bowl of ramen', aspect_ratio: '1:1' };
for (let i = 0; i < tasks; i++) await core.service.submit(key, body, undefined);
const afterSubmit = { ...counts };
const span = 120_000 * Math.max(timeScale, 0.001);
let steps = 0;
for (; steps < 10_000; steps++) {
  const open = (await core.store.listTasks({})).filter((t) => t.status === 'IN_QUEUE' || t.status === 'IN_PROGRESS');
  counts.listTasks = (counts.listTasks ?? 1) - 1; // this loop's own reads are not the task's
  if (open.length === 0) break;
  await core.clock.advance(span / 100);
}
const polls = (await core.metrics.text())
  .split('\n')
  .filter((l) => l.startsWith('gwsim_node_calls_total') && l.includes('call="poll"'))
  .reduce((n, l) => n + Number(l.split(' ').at(-1)), 0);
const lifecycle = Object.fromEntries(
  Object.entries(counts)
    .map(([k, v]) => [k, Number(((v - (afterSubmit[k] ?? 0)) / tasks).toFixed(2))] as const)
    .filter(([, v]) => v !== 0),
);
const storeOps = Object.values(counts).reduce((a, b) => a + b, 0);
console.log(
  JSON.stringify({
    timeScale,
    tasks,
    storeOpsPerTask: Number((storeOps / tasks).toFixed(2)),
    afterSubmitPerTask: lifecycle,
    submitPerTask: Object.fromEntries(Object.entries(afterSubmit).map(([k, v]) => [k, Number((v / tasks).toFixed(2))])),
    pollsPerTask: Number((polls / tasks).toFixed(2)),
    timersPerTask: Number((timers / tasks).toFixed(2)),
  }),
);
await core.close();
