import { createServer } from 'node:http';
import { errorBody } from '../gateway/errors.js';
import { answerClientErrors } from '../net/client-errors.js';
import { isLoopbackHost } from '../net/hosts.js';
import { httpOrigin, listenOn } from '../net/listen-on.js';
import type { Simulator, SimulatorCore, SimulatorOptions } from './simulator-types.js';
import { StartupError } from '../startup-error.js';
import { DEFAULTS } from './settings.js';

const SHUTDOWN_GRACE_MS = 10_000;
/** After the grace, how long the 503s to abandoned sync requests get to go out. */
const SHUTDOWN_FLUSH_MS = 1_000;

/** Wire a simulator with `create` and serve it over HTTP, with a graceful close. */
export async function listen(
  options: SimulatorOptions,
  create: (options: SimulatorOptions) => Promise<SimulatorCore>,
): Promise<Simulator> {
  const host = options.host ?? DEFAULTS.host;
  const adminToken = options.adminToken;
  if (!isLoopbackHost(host) && !adminToken && options.admin !== false) {
    throw new StartupError(
      `refusing to bind ${host} without an admin token: set GWSIM_ADMIN_TOKEN (option adminToken); the admin API is open only on loopback`,
    );
  }
  const sim = await create(options);
  // Off loopback the token is required (checked above); on loopback it is enforced when one is set.
  const server = createServer(sim.app(adminToken));
  server.keepAliveTimeout = 65_000;
  answerClientErrors(server, {
    body: (status, message) => errorBody(status, message, status >= 500 ? 'api_error' : 'invalid_request_error'),
    count: (reason, status) => sim.metrics.malformedRequests.inc({ reason, status }),
  });
  let inFlight = 0;
  let drained: (() => void) | undefined;
  server.on('request', (_req, res) => {
    inFlight++;
    res.once('close', () => {
      if (--inFlight === 0) drained?.();
    });
  });
  let port: number;
  try {
    port = await listenOn(server, options.port ?? DEFAULTS.port, host);
  } catch (err) {
    await sim.close(); // its timers and store connection would keep the process alive
    throw err;
  }
  const url = httpOrigin(host, port);
  sim.listening(url, host, port);

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      sim.closeLiveStreams(); // open event streams would hold the drain below for its whole grace period
      const drain = (ms: number) =>
        inFlight === 0
          ? Promise.resolve()
          : Promise.race([new Promise<void>((r) => (drained = r)), new Promise((r) => setTimeout(r, ms).unref())]);
      await drain(options.shutdownGraceMs ?? SHUTDOWN_GRACE_MS);
      // Requests still waiting for a sync task would outlive the server: answer them 503, and let
      // those answers go out before the connections close (closing at once sent an empty reply).
      sim.abandonWaiters();
      await drain(SHUTDOWN_FLUSH_MS);
      sim.abandonWaiters();
      server.closeAllConnections();
      await stopped;
      await sim.close();
    })());

  return {
    url,
    clock: { mode: sim.clock.mode, now: () => sim.clock.now(), advance: (ms) => sim.clock.advance(ms) },
    admin: sim.admin,
    catalog: sim.catalog,
    server,
    close,
  };
}
