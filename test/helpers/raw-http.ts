import { connect } from 'node:net';

/** What came back on a raw socket: the first answer parsed, and every byte as latin1. */
export interface RawAnswer {
  raw: string;
  statusLine: string;
  status: number;
  headers: Record<string, string>;
  body: string;
  /** The server closed the connection (within the wait). */
  closed: boolean;
}

/**
 * Write `bytes` to a fresh TCP connection and read until the server closes it or `ms` pass
 * (real time, bounded): requests Node's HTTP client would refuse to send.
 */
export function rawExchange(port: number, bytes: string | Buffer, ms = 2_000): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let closed = false;
    const done = () => {
      clearTimeout(timer);
      const raw = Buffer.concat(chunks).toString('latin1');
      const end = raw.indexOf('\r\n\r\n');
      const lines = (end < 0 ? raw : raw.slice(0, end)).split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const i = line.indexOf(':');
        if (i > 0) headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
      }
      const length = Number(headers['content-length'] ?? NaN);
      const rest = end < 0 ? '' : raw.slice(end + 4);
      resolve({
        raw,
        statusLine: lines[0] ?? '',
        status: Number(/^HTTP\/1\.1 (\d{3})/.exec(lines[0] ?? '')?.[1] ?? 0),
        headers,
        body: Number.isFinite(length) ? rest.slice(0, length) : rest,
        closed,
      });
    };
    const timer = setTimeout(() => {
      socket.destroy();
      done();
    }, ms);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('close', () => {
      closed = true;
      done();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? undefined : reject(err)));
    socket.write(bytes);
  });
}
