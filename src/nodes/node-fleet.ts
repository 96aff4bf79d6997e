import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Catalog } from '../catalog/load-catalog.js';
import type { Clock } from '../clock/clock.js';
import type { ConfigFile } from '../config/config-schema.js';
import type { SpecValidators } from '../spec/validators.js';
import type { FaultSet } from './faults.js';
import { nodeApp } from './node-app.js';
import { CALL_HEADER, HttpNodeClient, InProcessNodeClient, type NodeClient } from './node-client.js';
import { NodeEmulator, type Health } from './node-emulator.js';
import type { JobBook } from './job-book.js';
import { NodeService } from './node-service.js';
import type { Logger } from '../log/logger.js';
import { counterRequestIds } from '../net/request-ids.js';

export type NodeTransport = 'in-process' | 'http';

export interface FleetDeps {
  catalog: Catalog;
  clock: Clock;
  faults: FaultSet;
  seed: number;
  timeScale: number;
  config: ConfigFile;
  validators: SpecValidators;
  transport: NodeTransport;
  timeoutMs: number;
  /** A node's job book in the shared store (several instances); each emulator keeps its own in memory without. */
  book?: ((node: string) => JobBook) | undefined;
  /** Node errors, and each node's requests at debug (the `http` transport). */
  logger?: Logger;
}

/**
 * The provider nodes a simulator talks to: an emulator per catalog node (unless the config gives
 * the node's URL), each reached through a NodeClient, directly or over HTTP on a loopback port.
 */
export class NodeFleet {
  readonly emulators = new Map<string, NodeEmulator>();
  readonly clients = new Map<string, NodeClient>();
  private servers: Server[] = [];

  private constructor() {}

  static async start(deps: FleetDeps): Promise<NodeFleet> {
    const fleet = new NodeFleet();
    const { catalog, clock, config } = deps;
    for (const node of catalog.file.nodes) {
      const conf = config.nodes?.[node.id];
      const options = { node: node.id, clock, timeoutMs: deps.timeoutMs };
      if (conf?.url) {
        fleet.clients.set(node.id, new HttpNodeClient(conf.url, { ...options, token: conf.token }));
        continue;
      }
      const emulator = new NodeEmulator({
        node,
        catalog,
        clock,
        faults: deps.faults,
        seed: deps.seed,
        timeScale: deps.timeScale,
        capacity: conf?.capacity,
        book: deps.book?.(node.id),
        keepFinished: config.retention?.finished_tasks,
      });
      const service = new NodeService(emulator, catalog, deps.validators);
      fleet.emulators.set(node.id, emulator);
      if (deps.transport === 'in-process') {
        fleet.clients.set(node.id, new InProcessNodeClient(service, options));
        continue;
      }
      // The node tells its client which calls it holds, so the dispatcher never waits on a hung call inside a clock timer.
      let client: HttpNodeClient | undefined;
      const logging = deps.logger && {
        logger: deps.logger.child({ node: node.id }),
        requestLevel: 'debug' as const,
        requestIds: counterRequestIds(`req_${node.id}_`),
      };
      const server = createServer(
        nodeApp(service, undefined, (req) => client?.hung(String(req.headers[CALL_HEADER])), undefined, logging),
      );
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      fleet.servers.push(server);
      client = new HttpNodeClient(`http://127.0.0.1:${(server.address() as AddressInfo).port}`, {
        ...options,
        tagCalls: true,
      });
      fleet.clients.set(node.id, client);
    }
    return fleet;
  }

  /** Where each node answers over HTTP (the `http` transport, or a node given by URL). */
  urls(): Record<string, string> {
    return Object.fromEntries(
      [...this.clients].flatMap(([id, c]) => (c instanceof HttpNodeClient ? [[id, c.baseUrl]] : [])),
    );
  }

  /** Each emulated node's health (running, queued), read from its job book. */
  async healths(): Promise<Record<string, Health>> {
    const all = await Promise.all([...this.emulators].map(async ([id, e]) => [id, await e.health()] as const));
    return Object.fromEntries(all);
  }

  async queueDepth(): Promise<Record<string, number>> {
    return Object.fromEntries(Object.entries(await this.healths()).map(([id, h]) => [id, h.queued]));
  }

  async running(): Promise<Record<string, number>> {
    return Object.fromEntries(Object.entries(await this.healths()).map(([id, h]) => [id, h.running]));
  }

  async reset(): Promise<void> {
    await Promise.all([...this.emulators.values()].map((e) => e.reset()));
  }

  async close(): Promise<void> {
    await Promise.all([...this.clients.values()].map((c) => c.close()));
    for (const s of this.servers) s.closeAllConnections();
    await Promise.all(this.servers.map((s) => new Promise((r) => s.close(r))));
  }
}
