import { networkInterfaces } from 'node:os';
import { canonicalHost, isLoopbackHost, isUnspecifiedHost } from './hosts.js';

/** The port a URL connects to. */
export const portOf = (url: URL): number => (url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80);

/**
 * Where this simulator answers, so that no URL a request names (a callback_url) can aim it at
 * itself: each port it listens on, on any address of this machine (every loopback spelling,
 * 0.0.0.0 and ::, the bind host, and every interface address when it binds all of them), plus
 * exact host:port pairs for what it answers on elsewhere (a node given by URL).
 */
export class SelfTargets {
  private readonly ports = new Set<number>();
  private readonly local = new Set<string>();
  private readonly exact = new Set<string>();

  /** A socket this simulator listens on, `host` as given to listen(). */
  listening(host: string, port: number): void {
    this.ports.add(port);
    const h = canonicalHost(host);
    if (h === undefined) return;
    this.local.add(h);
    if (!isUnspecifiedHost(h)) return;
    for (const list of Object.values(networkInterfaces())) {
      for (const a of list ?? []) this.local.add(canonicalHost(a.address) ?? a.address);
    }
  }

  /** A base URL that reaches part of this simulator (its nodes' URLs). */
  add(raw: string): void {
    const url = new URL(raw);
    const host = canonicalHost(url.hostname);
    if (host === undefined) return;
    if (this.isLocal(host)) this.ports.add(portOf(url));
    else this.exact.add(`${host}:${portOf(url)}`);
  }

  /**
   * Whether `url` would reach this simulator. `requestHost` is the Host header of the request
   * naming it: a name clients reach the simulator by, which no lookup here could tell.
   */
  includes(url: URL, requestHost?: string): boolean {
    const host = canonicalHost(url.hostname);
    if (host === undefined) return false;
    const port = portOf(url);
    if (this.ports.has(port) && this.isLocal(host)) return true;
    if (this.exact.has(`${host}:${port}`)) return true;
    if (requestHost === undefined) return false;
    try {
      // gwsim serves plain HTTP, so a Host header without a port means port 80.
      const self = new URL(`http://${requestHost}/`);
      return canonicalHost(self.hostname) === host && portOf(self) === port;
    } catch {
      return false;
    }
  }

  private isLocal(host: string): boolean {
    return isLoopbackHost(host) || isUnspecifiedHost(host) || this.local.has(host);
  }
}
