import { isIP } from 'node:net';

/**
 * Why a callback URL may not be used, or undefined if it may. Destinations are loopback plus
 * the configured hosts (exact, or `*.example.com` for subdomains), so a shared staging
 * simulator cannot be turned against other hosts. No DNS lookups: hostnames are taken as given.
 */
export function refuseCallback(raw: string, allowHosts: readonly string[]): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'is not a valid URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http or https URL';
  if (url.username || url.password) return 'must not carry credentials';
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (isLoopback(host)) return undefined;
  const allowed = allowHosts.some((h) => (h.startsWith('*.') ? host.endsWith(h.slice(1).toLowerCase()) : host === h.toLowerCase()));
  return allowed ? undefined : `host '${host}' is not allowed: only loopback and the hosts in the config's webhooks.allow_hosts`;
}

function isLoopback(host: string): boolean {
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  // WHATWG URLs write an IPv4-mapped address in hex: [::ffff:127.0.0.1] becomes ::ffff:7f00:1.
  return host === '::1' || /^::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}$/.test(host);
}
