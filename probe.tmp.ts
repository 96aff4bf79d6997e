import { Verifier } from '@pact-foundation/pact';
import { startSimulator } from './src/simulator.js';
import { gatewayStates } from './src/contracts/gateway-states.js';
const sim = await startSimulator({ port: 0, clock: 'manual', renameResponseField: { from: 'available', to: 'avail' } });
const t = { baseUrl: sim.url, adminHeaders: {} };
const { stateHandlers, beforeEach } = gatewayStates(t);
const t0 = Date.now();
try {
  const r = await new Verifier({ provider: 'api-in-one-gateway', providerBaseUrl: sim.url, pactUrls: ['/work/wt-12a/contracts/pacts/gwsim-client-api-in-one-gateway.json'], logLevel: 'error', stateHandlers: stateHandlers as any, beforeEach }).verifyProvider();
  console.log('OK', typeof r, String(r).slice(0, 3000));
} catch (e) { console.log('ERR', (e as Error).message.slice(0, 4000)); }
console.log('ms', Date.now() - t0);
await sim.close();
