const [DOLLAR, STAR, CR, LF] = [0x24, 0x2a, 0x0d, 0x0a];
/** Below this length an ASCII string is copied a byte at a time: cheaper than a call into Buffer's writer. */
const SHORT = 64;
/** Slab size: a script's command is 0.5–3 KB. */
const SLAB = 64 * 1024;

let slab = Buffer.allocUnsafeSlow(SLAB);
let used = 0;

/**
 * `size` bytes of their own, cut from a slab. `Buffer.allocUnsafe` took 1.96 µs for a 2.8 KB
 * create (Node's 8 KB pool is renewed every third one), more than the rest of its encoding. A
 * part is never handed out twice, so a command still queued in the socket is never overwritten.
 */
function take(size: number): Buffer {
  if (size > SLAB / 4) return Buffer.allocUnsafeSlow(size);
  if (used + size > SLAB) {
    slab = Buffer.allocUnsafeSlow(SLAB);
    used = 0;
  }
  const part = slab.subarray(used, used + size);
  used += (size + 7) & ~7; // 8-byte aligned, as Node's pool cuts
  return part;
}

const digits = (n: number): number => (n < 10 ? 1 : n < 100 ? 2 : n < 1000 ? 3 : n < 10_000 ? 4 : String(n).length);

/** `<marker><n>\r\n` at `at`; the offset after it. */
function writeHead(out: Buffer, at: number, marker: number, n: number): number {
  out[at] = marker;
  const end = at + 1 + digits(n);
  for (let i = end - 1; i > at; i--, n = Math.floor(n / 10)) out[i] = 0x30 + (n % 10);
  out[end] = CR;
  out[end + 1] = LF;
  return end + 2;
}

/** `s` (of `bytes` UTF-8 bytes) then CRLF at `at`; the offset after it. */
function writeWord(out: Buffer, at: number, s: string, bytes: number): number {
  if (bytes === s.length && bytes <= SHORT) for (let i = 0; i < bytes; i++) out[at + i] = s.charCodeAt(i);
  else out.write(s, at);
  out[at + bytes] = CR;
  out[at + bytes + 1] = LF;
  return at + bytes + 2;
}

/**
 * A command in Redis's protocol (RESP), written straight into one Buffer of its exact size.
 * ioredis builds it as a string, `+` by `+`, which the socket's writev then copies again: for a
 * submit's three scripts that was 17 KB of short-lived garbage, the largest part of what a Redis
 * submit allocated beyond a memory one. Short ASCII words (most of a script's arguments) are
 * copied by hand, long ones by Buffer's native writer.
 */
export function encodeCommand(name: string, args: readonly string[]): Buffer {
  const lengths = new Array<number>(args.length);
  const nameBytes = Buffer.byteLength(name);
  let size = 3 + digits(args.length + 1) + 3 + digits(nameBytes) + nameBytes + 2;
  for (let i = 0; i < args.length; i++) {
    const bytes = Buffer.byteLength(args[i]!);
    lengths[i] = bytes;
    size += 3 + digits(bytes) + bytes + 2;
  }
  const out = take(size);
  let at = writeHead(out, 0, STAR, args.length + 1);
  at = writeWord(out, writeHead(out, at, DOLLAR, nameBytes), name, nameBytes);
  for (let i = 0; i < args.length; i++)
    at = writeWord(out, writeHead(out, at, DOLLAR, lengths[i]!), args[i]!, lengths[i]!);
  return out;
}
