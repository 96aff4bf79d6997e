import type { IncomingMessage, ServerResponse } from 'node:http';

/** The baseline: node:http with nothing but JSON in and out, the ceiling any gateway sits under. */
export function bareHandler(req: IncomingMessage, res: ServerResponse): void {
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
    res.end(text);
  });
}
