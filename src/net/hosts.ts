import { isIP } from 'node:net';

/**
 * A host the way a connection to it would go: parsed as a URL host (WHATWG), so every spelling
 * of an IPv4 address (`127.1`, `0x7f000001`, `2130706433`, `0177.0.0.1`) becomes dotted decimal;
 * brackets and a trailing dot dropped, lower case, IPv4-mapped IPv6 (`::ffff:127.0.0.1`) as the
 * IPv4 address it reaches. Undefined when it is not a host at all. No DNS lookups.
 */
export function canonicalHost(host: string): string | undefined {
  const bare = host.trim();
  // A host alone: no port, path, userinfo or whitespace to smuggle past the URL parser.
  if (bare === '' || /[/?#@\\\s]/.test(bare) || (bare.includes(':') && isIP(bare) !== 6 && !/^\[[^\]]*\]$/.test(bare)))
    return undefined;
  let parsed: string;
  try {
    // A bare IPv6 address (a bind host such as `::1`) needs its brackets to parse as a URL host.
    parsed = new URL(`http://${isIP(bare) === 6 ? `[${bare}]` : bare}/`).hostname;
  } catch {
    return undefined;
  }
  const name = parsed.replace(/^\[|\]$/g, '').replace(/\.$/, '');
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(name);
  if (!mapped) return name;
  const [hi, lo] = [parseInt(mapped[1]!, 16), parseInt(mapped[2]!, 16)];
  return [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join('.');
}

/** 127.0.0.0/8, ::1, `localhost` and its subdomains (RFC 6761), in any spelling. */
export function isLoopbackHost(host: string): boolean {
  const h = canonicalHost(host);
  if (h === undefined) return false;
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  return isIP(h) === 4 ? h.startsWith('127.') : h === '::1';
}

/** 0.0.0.0 and ::, which a listener takes to mean every address and a connection takes as this machine. */
export function isUnspecifiedHost(host: string): boolean {
  const h = canonicalHost(host);
  return h === '0.0.0.0' || h === '::';
}
