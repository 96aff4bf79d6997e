import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import type { Entry, Har } from 'har-format';
import { StartupError } from '../startup-error.js';

/** A HAR entry, with gwsim's own `_`-prefixed field (HAR 1.2 allows custom fields so named). */
export type HarEntry = Entry & {
  /** `webhook`: a delivery that reached `gwsim record --webhook-listen`, not a client's call. */
  _gwsim_kind?: 'webhook';
};

/** A file that cannot be read as HAR: the user's to fix (exit 2, one line, no stack). */
export class HarError extends StartupError {}

const CLOSING = '\n]}}\n';

/**
 * Writes a HAR 1.2 file as entries arrive: each entry is written (and handed to the OS) at once,
 * so a recorder killed hard loses only what was in flight; `close()` writes the closing brackets.
 * `readHar` reads a file that lacks them.
 */
export class HarWriter {
  private readonly fd: number;
  private count = 0;
  private closed = false;

  constructor(
    readonly file: string,
    creator: { name: string; version: string },
  ) {
    this.fd = openSync(file, 'w');
    writeSync(this.fd, `{"log":{"version":"1.2","creator":${JSON.stringify(creator)},"entries":[`);
  }

  get entries(): number {
    return this.count;
  }

  append(entry: HarEntry): void {
    if (this.closed) return;
    writeSync(this.fd, `${this.count++ === 0 ? '\n' : ',\n'}${JSON.stringify(entry)}`);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    writeSync(this.fd, CLOSING);
    closeSync(this.fd);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Parse HAR text; a gwsim recording cut off before its closing brackets (a crash) is completed. */
export function parseHar(text: string, source: string): Har {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    const cut = text.trimEnd().replace(/,$/, '');
    try {
      if (!cut.startsWith('{"log":')) throw new Error('not a recording');
      doc = JSON.parse(cut + CLOSING);
    } catch {
      throw new HarError(`${source} is not a HAR file: it is not JSON`);
    }
  }
  if (!isObject(doc) || !isObject(doc.log) || !Array.isArray(doc.log.entries)) {
    throw new HarError(
      `${source} is not a HAR file: it has no log.entries (HAR 1.2: {"log": {"version", "creator", "entries": […]}})`,
    );
  }
  doc.log.entries.forEach((e: unknown, i: number) => {
    const ok =
      isObject(e) &&
      isObject(e.request) &&
      isObject(e.response) &&
      typeof e.request.url === 'string' &&
      typeof e.request.method === 'string' &&
      typeof e.response.status === 'number' &&
      typeof e.startedDateTime === 'string';
    if (!ok)
      throw new HarError(
        `${source} is not a HAR file: log.entries[${i}] lacks startedDateTime, request.method, request.url or response.status`,
      );
  });
  return doc as unknown as Har;
}

export function readHar(file: string): Har {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new HarError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return parseHar(text, file);
}
