import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Where the heap probe (heap-probe.ts) in process `pid` writes its reading. */
export const probeFile = (pid: number): string => join(tmpdir(), `gwsim-heap-probe-${pid}.json`);
