/** One Server-Sent Event as a test reads it. */
export interface SseEvent {
  event: string;
  id: string | undefined;
  data: unknown;
}

/** A client of `GET /_sim/events` (or any SSE route) that parses events as they come. */
export interface SseClient {
  status: number;
  headers: Headers;
  /** Every event so far, in order. */
  events: SseEvent[];
  /** Comment lines (heartbeats) so far. */
  comments: string[];
  /** The first event, received or to come, that satisfies `test`; rejects after `timeoutMs`. */
  next(test: (e: SseEvent) => boolean, timeoutMs?: number): Promise<SseEvent>;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close(): void;
}

export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
  const abort = new AbortController();
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: abort.signal });
  const events: SseEvent[] = [];
  const comments: string[] = [];
  const waiters = new Set<() => void>();
  const ended = (async () => {
    if (!res.body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of res.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = 'message';
          let id: string | undefined;
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments.push(line.slice(1).trim());
            else if (line.startsWith('event: ')) event = line.slice(7);
            else if (line.startsWith('id: ')) id = line.slice(4);
            else if (line.startsWith('data: ')) data.push(line.slice(6));
          }
          if (data.length > 0) events.push({ event, id, data: JSON.parse(data.join('\n')) });
          for (const w of [...waiters]) w();
        }
      }
    } catch {
      // aborted by close()
    }
    for (const w of [...waiters]) w();
  })();
  let done = false;
  void ended.then(() => (done = true));
  const next = (test: (e: SseEvent) => boolean, timeoutMs = 5000) =>
    new Promise<SseEvent>((resolve, reject) => {
      let seen = 0;
      const check = () => {
        for (; seen < events.length; seen++) {
          if (test(events[seen]!)) {
            cleanup();
            return resolve(events[seen]!);
          }
        }
        if (done) {
          cleanup();
          reject(new Error(`the stream ended without the event (${events.map((e) => e.event).join(', ')})`));
        }
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`no such event within ${timeoutMs} ms (got ${events.map((e) => e.event).join(', ')})`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        waiters.delete(check);
      };
      waiters.add(check);
      check();
    });
  return { status: res.status, headers: res.headers, events, comments, next, ended, close: () => abort.abort() };
}
