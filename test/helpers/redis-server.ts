import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { describe } from 'vitest';

/** The `redis-server` on PATH, or undefined. */
export function findRedisServer(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, 'redis-server');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

export const REDIS_SERVER = findRedisServer();

/**
 * `describe` for tests that need a real redis-server. Without one on PATH the block is skipped
 * with a warning saying so, or, under CI=true, the run fails: CI must not skip these quietly.
 */
export function describeRedis(name: string, fn: () => void): void {
  if (!REDIS_SERVER) {
    if (process.env.CI === 'true')
      throw new Error(
        `${name}: redis-server is not on PATH, and CI=true forbids skipping the Redis tests (install redis-server)`,
      );
    console.warn(`SKIPPED ${name}: redis-server is not on PATH (install redis-server to run the Redis store tests)`);
  }
  describe.skipIf(!REDIS_SERVER)(name, fn);
}

/** A free TCP port on 127.0.0.1 (free when asked; the server then binds it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** One PING over a raw socket: true on +PONG. */
function ping(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ host: '127.0.0.1', port });
    let buf = '';
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('error', () => done(false));
    sock.once('connect', () => sock.write('PING\r\n'));
    sock.on('data', (d) => {
      buf += d.toString();
      if (buf.includes('\r\n')) done(buf.startsWith('+PONG'));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A throwaway redis-server on 127.0.0.1 (no persistence), a child process of the test worker.
 * `kill()` takes it down hard; `start()` brings it back on the same port, empty.
 */
export class RedisServer {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  private constructor(
    readonly port: number,
    private readonly bin: string,
  ) {}

  /** Starts a server on a free port (another one if that port was taken meanwhile). */
  static async start(): Promise<RedisServer> {
    if (!REDIS_SERVER) throw new Error('redis-server is not on PATH');
    let lastError: unknown;
    for (let tries = 0; tries < 3; tries++) {
      const server = new RedisServer(await freePort(), REDIS_SERVER);
      try {
        await server.start();
        return server;
      } catch (err) {
        lastError = err;
        await server.stop();
      }
    }
    throw lastError;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  url(db = 0): string {
    return `redis://127.0.0.1:${this.port}/${db}`;
  }

  /** (Re)starts the process on this port and waits until it answers PING. */
  async start(timeoutMs = 5000): Promise<void> {
    if (this.child) throw new Error('redis-server already running');
    const child = spawn(
      this.bin,
      ['--save', '', '--appendonly', 'no', '--port', String(this.port), '--bind', '127.0.0.1'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child = child;
    let output = '';
    const keep = (d: Buffer) => {
      output = (output + d.toString()).slice(-5000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    // Should the test worker die without afterAll, take the server along.
    const orphan = () => {
      try {
        if (child.pid !== undefined && child.exitCode === null && child.signalCode === null)
          process.kill(child.pid, 'SIGKILL');
      } catch {
        // gone already
      }
    };
    process.once('exit', orphan);
    let gone = false;
    this.exited = new Promise((resolve) => {
      child.once('exit', () => {
        gone = true;
        process.removeListener('exit', orphan);
        resolve();
      });
      child.once('error', () => {
        gone = true;
        resolve();
      });
    });
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (gone) break;
      if (await ping(this.port)) return;
      await sleep(30);
    }
    await this.stop();
    throw new Error(
      `redis-server on port ${this.port} did not answer PING within ${timeoutMs} ms${gone ? ' (it exited)' : ''}:\n${output.slice(-2000)}`,
    );
  }

  /** SIGKILL: the server vanishes mid-flight, as a crash would. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  /** SIGTERM, then SIGKILL if it lingers. Safe to call when not running. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    await this.signal('SIGTERM', 3000);
    if (this.child === child) await this.signal('SIGKILL');
  }

  private async signal(sig: NodeJS.Signals, waitMs = 5000): Promise<void> {
    const child = this.child;
    if (!child) return;
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      try {
        process.kill(child.pid, sig);
      } catch {
        // already gone
      }
    }
    const exited = await Promise.race([this.exited.then(() => true), sleep(waitMs).then(() => false)]);
    if (exited) this.child = undefined;
  }
}

/** Read events Redis has processed: one per batch of commands that arrived together (the INFO asking included). */
export async function readsProcessed(client: { info(section: string): Promise<string> }): Promise<number> {
  const m = /total_reads_processed:(\d+)/.exec(await client.info('stats'));
  if (!m) throw new Error('INFO stats has no total_reads_processed');
  return Number(m[1]);
}
