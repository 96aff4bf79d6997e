import type { IncomingMessage, ServerResponse } from 'node:http';

export interface EventStreamOptions {
  /** A comment line this often keeps proxies and idle timeouts from closing a quiet stream. */
  heartbeatMs?: number;
  /** The reconnect delay the client is told to use. */
  retryMs?: number;
  /** Bytes waiting to be written beyond which the client counts as gone (it reconnects and reloads). */
  maxBufferedBytes?: number;
}

export interface EventStream {
  /** Write one event; false once the stream is closed. */
  send(event: string, data: unknown, id?: string): boolean;
  /** End the stream (the response too). */
  close(): void;
  readonly closed: boolean;
  /** Called once, when the stream ends for any reason. */
  onClose(fn: () => void): void;
}

const FIELD = /^[^\r\n]*$/;

/** One event in the text/event-stream framing: `event:`, `id:`, and `data:` lines for the JSON. */
export function frame(event: string, data: unknown, id?: string): string {
  if (!FIELD.test(event) || (id !== undefined && !FIELD.test(id)))
    throw new Error('an event name or id cannot hold a line break');
  const json = JSON.stringify(data) ?? 'null';
  return `event: ${event}\n${id !== undefined ? `id: ${id}\n` : ''}data: ${json.split(/\r\n|\r|\n/).join('\ndata: ')}\n\n`;
}

/**
 * Turn a response into a Server-Sent Events stream: the headers, the framing, a heartbeat, and
 * cleanup when either side goes away. A client that reads too slowly is dropped rather than
 * buffered for without bound.
 */
export function openEventStream(
  req: IncomingMessage,
  res: ServerResponse,
  options: EventStreamOptions = {},
): EventStream {
  const { heartbeatMs = 15_000, retryMs = 2000, maxBufferedBytes = 4 * 1024 * 1024 } = options;
  let closed = false;
  const listeners: Array<() => void> = [];
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    Connection: 'keep-alive',
    'X-Accel-Buffering': 'no',
  });
  res.write(`retry: ${retryMs}\n\n`);
  const heartbeat = setInterval(() => write(': ping\n\n'), heartbeatMs);
  heartbeat.unref();

  const end = () => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    res.end();
    for (const fn of listeners.splice(0)) fn();
  };
  function write(text: string): boolean {
    if (closed) return false;
    if (res.writableLength > maxBufferedBytes) {
      end();
      res.destroy();
      return false;
    }
    res.write(text);
    return true;
  }
  req.once('close', end);
  res.once('close', end);

  return {
    send: (event, data, id) => write(frame(event, data, id)),
    close: end,
    get closed() {
      return closed;
    },
    onClose: (fn) => {
      if (closed) fn();
      else listeners.push(fn);
    },
  };
}
