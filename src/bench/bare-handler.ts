import type { IncomingMessage, ServerResponse } from 'node:http';
import { endAtPassEnd } from '../net/answers-per-pass.js';

/** The bare baseline's answer to a request: JSON in, a small JSON envelope out. */
function answer(req: IncomingMessage, done: (res: ServerResponse, text: string) => void, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { model?: string }) : undefined;
    const text = JSON.stringify({
      code: 200,
      message: 'success',
      data: { task_id: 'n47bare_imagen4', status: 'IN_QUEUE', model: body?.model ?? null },
    });
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    done(res, text);
  });
}

const endNow = (res: ServerResponse, text: string): void => void res.end(text);

/** The baseline: node:http with nothing but JSON in and out, each answer written as it is made. */
export function bareHandler(req: IncomingMessage, res: ServerResponse): void {
  answer(req, endNow, res);
}

/**
 * The same, with its answers written as gwsim writes its own (endAtPassEnd): those of one
 * event-loop pass together, at its end. Beside it, submit ÷ bare shows how much of gwsim's rate is
 * that batching rather than less work.
 */
export function perPassBareHandler(req: IncomingMessage, res: ServerResponse): void {
  answer(req, endAtPassEnd, res);
}
