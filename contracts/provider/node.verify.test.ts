import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/catalog/load-catalog.js';
import { RealClock } from '../../src/clock/clock.js';
import { PACTS_DIR, PARTICIPANTS } from '../../src/contracts/participants.js';
import { verifyPacts } from '../../src/contracts/verify.js';
import { FaultSet } from '../../src/nodes/faults.js';
import { nodeApp } from '../../src/nodes/node-app.js';
import { NodeEmulator } from '../../src/nodes/node-emulator.js';
import { NodeService } from '../../src/nodes/node-service.js';
import { paths } from '../../src/paths.js';
import { loadSpec } from '../../src/spec/load-spec.js';
import { SpecValidators } from '../../src/spec/validators.js';

// node47 as `gwsim node --id node47` runs it, at its defaults: the provider states make jobs as
// fixtures (POST /_sim/jobs), so no state waits on a job's emulated duration.
let server: Server;
let url: string;
beforeAll(async () => {
  const catalog = loadCatalog();
  const clock = new RealClock(() => undefined);
  const faults = new FaultSet(clock);
  const emulator = new NodeEmulator({
    node: catalog.nodes.get('node47')!,
    catalog,
    clock,
    faults,
    seed: 1,
    timeScale: 1,
  });
  const service = new NodeService(emulator, catalog, new SpecValidators(loadSpec(paths.nodeSpec), 'node'));
  server = createServer(
    nodeApp(service, undefined, undefined, { faults, catalog, clock, reset: () => (emulator.reset(), faults.clear()) }),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((r) => server.close(r)));

describe('the gateway → node pact against a node emulator', () => {
  it(`${PARTICIPANTS.gateway} → ${PARTICIPANTS.node} holds`, async () => {
    const [result] = await verifyPacts({ pactsDir: PACTS_DIR, providerBaseUrl: url, provider: PARTICIPANTS.node });
    expect(result?.detail ?? '').toBe('');
    expect(result?.ok).toBe(true);
  }, 120_000);
});
