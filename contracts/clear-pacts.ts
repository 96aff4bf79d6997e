import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PACTS_DIR } from '../src/contracts/participants.js';

// Pact merges into existing files, so an interaction removed from a test would linger: start empty.
export default function setup(): void {
  for (const f of readdirSync(PACTS_DIR)) if (f.endsWith('.json')) rmSync(join(PACTS_DIR, f));
}
