import type { RequestListener, Server } from 'node:http';
import type { Logger } from '../log/logger.js';
import type { RequestIdSource } from '../net/request-ids.js';
import type { AdminService } from '../admin/admin-service.js';
import type { Catalog } from '../catalog/load-catalog.js';
import type { Clock, ClockMode } from '../clock/clock.js';
import type { ConfigFile } from '../config/config-schema.js';
import type { GatewayService } from '../gateway/service.js';
import type { Metrics } from '../metrics/metrics.js';
import type { NodeTransport } from '../nodes/node-fleet.js';
import type { Store } from '../store/store.js';
import type { TaskTransition } from '../tasks/orchestrator.js';

export interface SimulatorOptions {
  host?: string;
  /** 0 = any free port. */
  port?: number;
  seed?: number;
  /** Multiplies every emulated duration (0.001 makes a 5 s generation take 5 ms). */
  timeScale?: number;
  clock?: ClockMode;
  /** A config file path, or the config itself. */
  config?: string | ConfigFile;
  /** `memory` (default). */
  store?: string;
  /**
   * Required for the admin API when bound to a non-loopback host. The library reads no environment
   * variables: `gwsim serve` passes GWSIM_ADMIN_TOKEN here.
   */
  adminToken?: string | undefined;
  /** `false`: no `/_sim` at all (it answers 404, as a real deployment does); `gwsim serve --no-admin`. */
  admin?: boolean;
  /** Check every response against openapi/gateway.yaml (a mismatch is a loud 500); freeze stored tasks. For tests. */
  validateResponses?: boolean;
  /**
   * Test-only fault: rename a field wherever it appears in success bodies of the public API, to
   * prove that `gwsim verify` and `gwsim conformance` catch a gateway that drifted from its contract.
   */
  renameResponseField?: { from: string; to: string };
  /** How long close() lets in-flight requests finish before it answers waiting sync requests 503 (default 10 s). */
  shutdownGraceMs?: number;
  /** How the gateway reaches its emulated nodes (default in-process; `http` runs each on a loopback port). */
  nodeTransport?: NodeTransport;
  /** Told of every task status transition, besides the logger's debug line; nothing by default. */
  onTaskTransition?: (transition: TaskTransition) => void;
  /**
   * Where gwsim logs (a pino logger fits): internal errors, a line per request at info, a line per
   * task transition at debug. Default `consoleLogger()`: warnings and errors to stderr, as before.
   */
  logger?: Logger;
  /** The request ids responses carry (default: `req_` + hex from the seed + a count, per simulator). */
  requestIds?: RequestIdSource;
}

/**
 * A simulator wired but not listening (`createSimulator`): what `startSimulator`, the CLI and
 * tests that drive the service directly need, and nothing of its inner wiring.
 */
export interface SimulatorCore {
  readonly config: ConfigFile;
  readonly seed: number;
  readonly timeScale: number;
  readonly clock: Clock;
  readonly catalog: Catalog;
  /** The simulator's state (tests read and seed it directly). */
  readonly store: Store;
  /** The public API's operations, free of HTTP. */
  readonly service: GatewayService;
  /** The admin API's operations (`/_sim`), free of HTTP. */
  readonly admin: AdminService;
  readonly metrics: Metrics;
  /** The HTTP request listener; the admin API enforces `adminToken` when one is given. */
  app(adminToken: string | undefined): RequestListener;
  /** The server listens at `url` on `host:port`: webhook payloads point there, and callbacks may not. */
  listening(url: string, host: string, port: number): void;
  /** Close open dashboard event streams (they would hold a drain open). */
  closeLiveStreams(): void;
  /** Answer every request waiting for a sync task 503 (shutting down). */
  abandonWaiters(): void;
  /** Release everything: steps, clock, nodes, store. */
  close(): Promise<void>;
}

/** A simulator listening on HTTP (`startSimulator`): what the CLI and HTTP-level tests use. */
export interface Simulator {
  url: string;
  clock: { readonly mode: ClockMode; now(): number; advance(ms: number): Promise<void> };
  admin: AdminService;
  catalog: Catalog;
  server: Server;
  /** Stop accepting, let in-flight requests finish (up to a grace period), release everything. */
  close(): Promise<void>;
}
