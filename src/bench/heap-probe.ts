import { writeFileSync } from 'node:fs';
import { probeFile } from './probe-file.js';

/**
 * Preloaded into a gwsim process under the bench (`node --expose-gc --import …/heap-probe.js`):
 * on SIGUSR2 it collects garbage and writes `process.memoryUsage()` as JSON to `probeFile(pid)`,
 * so the bench can read what the live objects take, apart from RSS. gwsim itself knows nothing of it.
 */
const gc = (globalThis as { gc?: () => void }).gc;
process.on('SIGUSR2', () => {
  gc?.();
  writeFileSync(probeFile(process.pid), JSON.stringify({ ...process.memoryUsage(), collected: gc !== undefined }));
});
