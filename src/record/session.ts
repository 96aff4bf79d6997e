import type { Har } from 'har-format';
import { HarError, type HarEntry } from './har-file.js';

/** One API in One call of a recording (or of its replay), parsed once. */
export interface Exchange {
  /** Position among the recording's entries, by start time. */
  index: number;
  startMs: number;
  endMs: number;
  method: string;
  /** The path below `/api/v1`, with its query: `/tasks/n47…_imagen4`. */
  path: string;
  /** The operation: `GET /tasks/{task_id}`. */
  route: string;
  requestHeaders: Map<string, string>;
  requestBody: string | undefined;
  status: number;
  responseHeaders: Map<string, string>;
  /** The media type alone (`application/json`), lower case. */
  contentType: string;
  /** The body parsed, when it is JSON. */
  json: unknown;
}

export interface Session {
  source: string;
  /** Calls of the public API, in start order. */
  exchanges: Exchange[];
  /** Webhook deliveries `gwsim record --webhook-listen` caught. */
  webhooks: Exchange[];
  /** Entries that are neither (a browser's page loads, image downloads, other hosts). */
  skipped: number;
  total: number;
}

const API_BASE = '/api/v1';

/** `GET /tasks/{task_id}`-style names, so calls of one operation group together. */
export function routeOf(method: string, path: string): string {
  const bare = path.split('?')[0]!;
  const m = /^\/(tasks|models)\/[^/]+$/.exec(bare);
  return `${method} ${m ? `/${m[1]}/${m[1] === 'tasks' ? '{task_id}' : '{id}'}` : bare}`;
}

const headerMap = (list: Array<{ name: string; value: string }> | undefined) =>
  new Map((list ?? []).filter((h) => !h.name.startsWith(':')).map((h) => [h.name.toLowerCase(), h.value]));

export function parseJson(text: string | undefined): unknown {
  if (text === undefined || text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function bodyText(content: { text?: string; encoding?: string } | undefined): string | undefined {
  if (content?.text === undefined) return undefined;
  return content.encoding === 'base64' ? Buffer.from(content.text, 'base64').toString('utf8') : content.text;
}

/** An exchange from a HAR entry, or undefined for an entry that is not a call of `/api/v1`. */
function exchangeOf(entry: HarEntry, index: number, webhook: boolean): Exchange | undefined {
  let url: URL;
  try {
    url = new URL(entry.request.url);
  } catch {
    return undefined;
  }
  const at = url.pathname.indexOf(`${API_BASE}/`);
  if (!webhook && at < 0) return undefined;
  const path = webhook ? url.pathname + url.search : url.pathname.slice(at + API_BASE.length) + url.search;
  const startMs = Date.parse(entry.startedDateTime);
  const responseHeaders = headerMap(entry.response.headers);
  const text = bodyText(entry.response.content);
  const mime = (entry.response.content?.mimeType || responseHeaders.get('content-type') || '')
    .split(';')[0]!
    .trim()
    .toLowerCase();
  const method = entry.request.method.toUpperCase();
  const requestBody = entry.request.postData?.text;
  return {
    index,
    startMs,
    endMs: startMs + Math.max(0, entry.time ?? 0),
    method,
    path,
    route: webhook ? `${method} (webhook)` : routeOf(method, path),
    requestHeaders: headerMap(entry.request.headers),
    requestBody,
    status: entry.response.status,
    responseHeaders,
    contentType: mime,
    json: webhook ? parseJson(requestBody) : mime.includes('json') || mime === '' ? parseJson(text) : undefined,
  };
}

/** The API in One calls of a HAR; a HAR with none is not a recording of this API. */
export function sessionOf(har: Har, source: string): Session {
  const entries = (har.log.entries as HarEntry[])
    .map((entry, i) => ({ entry, i, at: Date.parse(entry.startedDateTime) }))
    .sort((a, b) => (a.at === b.at ? a.i - b.i : a.at - b.at));
  const exchanges: Exchange[] = [];
  const webhooks: Exchange[] = [];
  let skipped = 0;
  entries.forEach(({ entry }, index) => {
    const webhook = entry._gwsim_kind === 'webhook';
    // A status of 0 is a request the browser never got an answer to.
    const x =
      entry.response.status > 0 && Number.isFinite(Date.parse(entry.startedDateTime))
        ? exchangeOf(entry, index, webhook)
        : undefined;
    if (!x) skipped++;
    else (webhook ? webhooks : exchanges).push(x);
  });
  if (exchanges.length === 0) {
    const hosts = [
      ...new Set(har.log.entries.map((e) => /^[a-z]+:\/\/([^/]+)/i.exec(e.request.url)?.[1]).filter(Boolean)),
    ].slice(0, 3);
    throw new HarError(
      `${source} holds no API in One calls: none of its ${har.log.entries.length} entries is under ${API_BASE}/${hosts.length ? ` (hosts: ${hosts.join(', ')})` : ''}`,
    );
  }
  return { source, exchanges, webhooks, skipped, total: har.log.entries.length };
}
