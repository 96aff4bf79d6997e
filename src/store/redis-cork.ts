import type { Redis } from 'ioredis';
import type { Socket } from 'node:net';

const corked = new WeakSet<Socket>();

/**
 * Hold the client's socket writes until this tick's work is done, so the commands issued in it
 * (concurrent submits' scripts) leave in one write, not one system call each. Each reply still
 * resolves as it arrives: ioredis's auto-pipelining batches the same way but answers a batch
 * only once all of it is back, so gwsim and Redis took turns waiting.
 */
export function corkForTick(client: Redis): void {
  const socket = client.stream as Socket | undefined;
  if (!socket || socket.destroyed || corked.has(socket)) return;
  corked.add(socket);
  socket.cork();
  process.nextTick(() => {
    corked.delete(socket);
    socket.uncork();
  });
}
