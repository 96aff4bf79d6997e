/**
 * A `Retry-After` value in milliseconds: delay-seconds or an HTTP date; undefined when absent or
 * unreadable. Shared by the SDK, the load generator and the webhook deliverer.
 */
export function parseRetryAfter(value: string | string[] | null | undefined, now = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text === null || text.trim() === '') return undefined;
  if (/^\s*\d+\s*$/.test(text)) return Number(text) * 1000;
  // An HTTP date names its day and month; Date.parse alone takes '-3' as a year.
  const date = /[a-z]{3}/i.test(text) ? Date.parse(text) : NaN;
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
