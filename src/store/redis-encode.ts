const CRLF = 0x0d0a;

/**
 * A command in Redis's protocol (RESP), written straight into one Buffer of its exact size.
 * ioredis builds it as a string, `+` by `+`, which the socket's writev then copies again: for a
 * submit's three scripts that was 17 KB of short-lived garbage, the largest part of what a Redis
 * submit allocated beyond a memory one.
 */
export function encodeCommand(name: string, args: readonly string[]): Buffer {
  const count = `*${args.length + 1}\r\n`;
  const heads = new Array<string>(args.length + 1);
  let size = count.length;
  for (let i = 0; i <= args.length; i++) {
    const bytes = Buffer.byteLength(i === 0 ? name : args[i - 1]!);
    heads[i] = `$${bytes}\r\n`;
    size += heads[i]!.length + bytes + 2;
  }
  const out = Buffer.allocUnsafe(size);
  let at = out.write(count, 0, 'latin1');
  for (let i = 0; i <= args.length; i++) {
    at += out.write(heads[i]!, at, 'latin1');
    at += out.write(i === 0 ? name : args[i - 1]!, at);
    at = out.writeUInt16BE(CRLF, at);
  }
  return out;
}
