import { createServer } from 'node:http';
import { bareHandler, perPassBareHandler } from './bare-handler.js';

// `node bare-server.js PORT [per-pass]`: the bare baseline as a process of its own, started like
// gwsim; with `per-pass`, its answers are written per event-loop pass, as gwsim's are.
const server = createServer(process.argv[3] === 'per-pass' ? perPassBareHandler : bareHandler);
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(`bare listening on http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
