import type { Catalog } from '../../src/catalog/load-catalog.js';
import { createClock } from '../../src/clock/clock.js';
import { FaultSet } from '../../src/nodes/faults.js';
import { NodeFleet } from '../../src/nodes/node-fleet.js';
import { paths } from '../../src/paths.js';
import { loadSpec } from '../../src/spec/load-spec.js';
import { SpecValidators } from '../../src/spec/validators.js';

export interface HttpNodes {
  fleet: NodeFleet;
  /** The nodes' own faults (an outage there is the node's, not a gateway's). */
  faults: FaultSet;
  /** The config's `nodes` section that points gateways at them. */
  config: Record<string, { url: string }>;
}

/**
 * The catalog's provider nodes on loopback ports, on the real clock, apart from any gateway (as in
 * production): every gwsim instance on a shared store reaches the same jobs through them.
 */
export async function startHttpNodes(options: {
  catalog: Catalog;
  seed: number;
  timeScale: number;
  capacity: number;
}): Promise<HttpNodes> {
  const clock = createClock('real', () => undefined);
  const faults = new FaultSet(clock);
  const fleet = await NodeFleet.start({
    catalog: options.catalog,
    clock,
    faults,
    seed: options.seed,
    timeScale: options.timeScale,
    config: { nodes: { node47: { capacity: options.capacity } } },
    validators: new SpecValidators(loadSpec(paths.nodeSpec), 'node'),
    transport: 'http',
    timeoutMs: 5000,
  });
  const config = Object.fromEntries(Object.entries(fleet.urls()).map(([id, url]) => [id, { url }]));
  return { fleet, faults, config };
}
