import { createServer } from 'node:http';

// The baseline: node:http with nothing but JSON in and out, the ceiling any gateway sits under.
const server = createServer((req, res) => {
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
});
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(`bare listening on http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
