/** The most ids one batch read takes (openapi/node.yaml, `GET /v1/jobs`). */
export const MAX_BATCH_IDS = 100;
const MAX_ID = 128;

/**
 * The `ids` of a batch read from a request's query string, or why they cannot be read (as the
 * spec words it: required, 1 to 100 comma-separated ids, each 1 to 128 characters, no repeats).
 */
export function parseJobIds(search: string): string[] | { problem: string } {
  const values = new URLSearchParams(search).getAll('ids');
  if (values.length === 0) return { problem: "'ids' is required: comma-separated job ids" };
  if (values.length > 1) return { problem: "'ids' is given more than once: send one comma-separated list" };
  const ids = values[0]!.split(',');
  if (ids.length > MAX_BATCH_IDS) return { problem: `'ids' has ${ids.length} ids, at most ${MAX_BATCH_IDS}` };
  for (const [i, id] of ids.entries()) {
    if (id.length === 0) return { problem: `'ids'[${i}] is empty` };
    if (id.length > MAX_ID) return { problem: `'ids'[${i}] is longer than ${MAX_ID} characters` };
  }
  if (new Set(ids).size !== ids.length) return { problem: "'ids' names a job more than once" };
  return ids;
}

/** The query of a batch read of `ids` (which hold no comma: job ids never do). */
export const jobIdsQuery = (ids: readonly string[]): string => `ids=${ids.map(encodeURIComponent).join(',')}`;
