import { maxHeaderSize, STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';

export interface ClientErrorOptions {
  /** The JSON body of an answer (each server has its own error shape). */
  body: (status: number, message: string) => unknown;
  /** Told of each malformed request: what it was (`HPE_…`, `CONNECT`) and the status answered (0: none, the socket was gone). */
  count?: (reason: string, status: number) => void;
}

/** What a parser error comes to: a status and a message for the client. */
function classify(err: Error & { code?: string; reason?: string }): [number, string] {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return [431, `Request headers are larger than ${Math.round(maxHeaderSize / 1024)} KiB`];
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return [413, 'Chunk extensions are too large'];
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return [408, 'The request did not arrive in time'];
    default:
      // llhttp's reasons are fixed phrases ("Invalid header value char", "Transfer-Encoding can't be present with Content-Length").
      return [
        400,
        `Malformed HTTP request: ${typeof err.reason === 'string' ? err.reason : (err.code ?? 'unreadable')}`,
      ];
  }
}

/** Answer on a raw socket, then close it once the answer is out. */
function answer(socket: Duplex, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  const head = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(text)}`,
    'Connection: close',
  ];
  socket.end(`${head.join('\r\n')}\r\n\r\n${text}`, () => socket.destroy());
}

/**
 * Requests Node's parser refuses (CR, LF or NUL in a header, Content-Length with
 * Transfer-Encoding, headers too large, …) and CONNECT get a status and the server's JSON error
 * body, where the socket still allows one, instead of Node's bare status line or a closed socket.
 */
export function answerClientErrors(server: Server, options: ClientErrorOptions): void {
  server.on('clientError', (err: Error & { code?: string }, socket: Duplex) => {
    // As Node's own handler does: answer only if no byte of an answer in flight has gone out.
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent: boolean } })._httpMessage;
    if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
      options.count?.(err.code ?? 'unknown', 0);
      socket.destroy();
      return;
    }
    const [status, message] = classify(err);
    options.count?.(err.code ?? 'unknown', status);
    answer(socket, status, options.body(status, message));
  });
  // No 'connect' listener means Node closes the socket without a word.
  server.on('connect', (req: IncomingMessage, socket: Duplex) => {
    options.count?.('CONNECT', 400);
    answer(
      socket,
      400,
      options.body(400, `CONNECT ${String(req.url).slice(0, 200)} is not supported: gwsim is not a proxy`),
    );
  });
}
