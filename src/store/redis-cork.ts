import type { Redis } from 'ioredis';
import type { Socket } from 'node:net';

/** How long a command's write is held: to the end of its tick, or of the event loop's pass. */
export type WriteBatch = 'tick' | 'pass';

/** A socket's open cork: whether its release is already queued for the end of this tick. */
interface Cork {
  atTick: boolean;
}
const corks = new WeakMap<Socket, Cork>();

function release(socket: Socket, cork: Cork): void {
  if (corks.get(socket) !== cork) return; // released already, by the other of its two timers
  corks.delete(socket);
  socket.uncork();
}

/**
 * Hold the client's socket writes so that commands issued together leave in one write, not one
 * system call each. `tick`: until this tick's work is done (a reply's follow-up commands). `pass`:
 * until the event loop has run every callback that was ready (every HTTP request read in this
 * pass), so the scripts of concurrent submits share a write. Each reply still resolves as it
 * arrives: ioredis's auto-pipelining answers a batch only once all of it is back.
 */
export function corkWrites(client: Redis, until: WriteBatch = 'tick'): void {
  const socket = client.stream as Socket | undefined;
  if (!socket || socket.destroyed) return;
  let cork = corks.get(socket);
  if (!cork) {
    cork = { atTick: false };
    corks.set(socket, cork);
    socket.cork();
    const c = cork;
    if (until === 'pass') setImmediate(() => release(socket, c));
  }
  if (until === 'tick' && !cork.atTick) {
    cork.atTick = true;
    const c = cork;
    process.nextTick(() => release(socket, c));
  }
}
