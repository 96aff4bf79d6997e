import { Command, type Redis } from 'ioredis';
import { corkWrites } from './redis-cork.js';
import { encodeCommand } from './redis-encode.js';
import type { ScriptDef } from './redis-lua.js';

/** What Command's constructor is given to flatten: nothing (the arguments are set after). */
const NONE: never[] = [];

function send(
  client: Redis,
  name: 'evalsha' | 'eval',
  def: ScriptDef,
  keys: readonly string[],
  args: readonly string[],
) {
  const command = new Command(name, NONE, { replyEncoding: 'utf8' });
  // Built flat here: Command's constructor copies its arguments with Array.prototype.flat, V8's
  // generic path, 2.2 µs for a submit's 32 arguments (ioredis's defineCommand adds two spreads).
  // Strings only: the constructor is what turns other values into strings.
  const argv = [name === 'evalsha' ? def.sha : def.lua, String(def.numberOfKeys), ...keys, ...args];
  command.args = argv;
  // Sent as one Buffer of the protocol's bytes (see encodeCommand), not ioredis's string.
  const bytes = encodeCommand(name, argv);
  command.toWritable = () => bytes;
  client.sendCommand(command);
  return command.promise as Promise<unknown>;
}

/**
 * Run a script by its SHA (EVALSHA); a Redis that does not know it (restarted, or SCRIPT FLUSH)
 * answers NOSCRIPT, and the script is sent whole (EVAL), which also loads it. The command goes
 * out with the others of its tick (`corkWrites`).
 */
export function runScript(
  client: Redis,
  def: ScriptDef,
  keys: readonly string[],
  args: readonly string[],
): Promise<unknown> {
  corkWrites(client);
  return send(client, 'evalsha', def, keys, args).catch((err: Error) => {
    if (!err.message.startsWith('NOSCRIPT')) throw err;
    return send(client, 'eval', def, keys, args);
  });
}
