import { canonicalHost, isLoopbackHost } from '../net/hosts.js';

/**
 * Why a URL a request names (a callback_url, each of input_urls) may not be used, or undefined
 * if it may. Destinations are loopback plus the configured hosts (exact, or `*.example.com` for
 * subdomains), so a shared staging simulator cannot be turned against other hosts; and, with
 * `isSelf`, never the simulator itself. No DNS lookups: hostnames are taken as given.
 */
export function refuseCallback(
  raw: string,
  allowHosts: readonly string[],
  isSelf?: (url: URL) => boolean,
): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'is not a valid URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http or https URL';
  if (url.username || url.password) return 'must not carry credentials';
  // A delivery to gwsim's own admin API would let any public key reset it.
  if (isSelf?.(url)) return 'points at this simulator: webhooks may not call gwsim itself';
  const host = canonicalHost(url.hostname) ?? url.hostname;
  if (isLoopbackHost(host)) return undefined;
  const allowed = allowHosts.some((h) =>
    h.startsWith('*.') ? host.endsWith(h.slice(1).toLowerCase()) : host === h.toLowerCase(),
  );
  return allowed
    ? undefined
    : `host '${host}' is not allowed: only loopback and the hosts in the config's webhooks.allow_hosts`;
}

/**
 * Why one of `input_urls` may not be used, naming its index (`input_urls[2]`), or undefined.
 * gwsim's own image URLs are fine here: editing an image it made is a normal request.
 */
export function refuseInputUrls(urls: unknown, allowHosts: readonly string[]): string | undefined {
  if (!Array.isArray(urls)) return undefined;
  for (const [i, raw] of urls.entries()) {
    const reason = typeof raw === 'string' ? refuseCallback(raw, allowHosts) : 'must be a URL';
    if (reason !== undefined) return `'input_urls[${i}]' ${reason}`;
  }
  return undefined;
}
