import type { AddressInfo, Server } from 'node:net';
import { StartupError } from '../startup-error.js';

/** `http://host:port`, an IPv6 host in brackets. */
export const httpOrigin = (host: string, port: number): string =>
  `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

/** The flags that set where a server listens: `--port` and `--host`, or one `--x HOST:PORT`. */
export type ListenFlags = { port: string; host: string };
const PORT_AND_HOST: ListenFlags = { port: '--port', host: '--host' };
/** `gwsim record` and `gwsim load`: where their webhook receiver listens. */
export const WEBHOOK_LISTEN: ListenFlags = { port: '--webhook-listen', host: '--webhook-listen' };

/** The listen failures that are the user's to fix, each as one line naming the flag to change. */
function reason(code: string | undefined, host: string, port: number, flags: ListenFlags): string | undefined {
  switch (code) {
    case 'EADDRINUSE':
      return `port ${port} on ${host} is in use (EADDRINUSE): pass ${flags.port} with another, or port 0 for any free one`;
    case 'EACCES':
      return `port ${port} on ${host} needs privileges this process lacks (EACCES): pass ${flags.port} with a port of 1024 or above`;
    case 'EADDRNOTAVAIL':
      return `${host} is not an address of this machine (EADDRNOTAVAIL): pass ${flags.host} with one of its own, such as 127.0.0.1`;
    default:
      return undefined;
  }
}

/**
 * `server.listen(port, host)`, resolved with the bound port. A port in use, a privileged port or
 * a host that is not this machine's rejects with a StartupError (one line, no stack trace); any
 * other failure as it came.
 */
export function listenOn(
  server: Server,
  port: number,
  host: string,
  flags: ListenFlags = PORT_AND_HOST,
): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const why = reason(err.code, host, port, flags);
      reject(why ? new StartupError(why) : err);
    });
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}
