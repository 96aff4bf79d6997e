import { describe, expect, it } from 'vitest';
import { taskView, type TaskRecord } from '../../src/gateway/task.js';
import { TaskViewCache } from '../../src/gateway/task-views.js';

const record = (id: string, status: TaskRecord['status'] = 'IN_PROGRESS'): TaskRecord => ({
  id,
  key: 'aio_k',
  model: 'imagen-4',
  subModel: 'imagen4',
  node: 'node47',
  provider: 'Google',
  status,
  queuePosition: null,
  attempts: [{ node: 'node47', provider: 'Google', at: 1, outcome: 'accepted', detail: null }],
  createdAt: 1_700_000_000_000,
  startedAt: 1_700_000_000_010,
  completedAt: status === 'COMPLETED' ? 1_700_000_001_000 : null,
  width: 1024,
  height: 1024,
  numImages: 1,
  imageSeed: 7,
  imageToken: 'tok',
  error: null,
  held: 8,
  charged: 0,
  callbackUrl: null,
});

describe('TaskViewCache', () => {
  it("gives JSON.stringify of the task's view, for the record and base URL asked, cached or not", () => {
    const cache = new TaskViewCache(2);
    const a = record('a');
    const json = (t: TaskRecord, base: string) => JSON.stringify(taskView(t, base));
    expect(cache.json(a, 'http://h')).toBe(json(a, 'http://h'));
    expect(cache.json(a, 'http://h')).toBe(json(a, 'http://h'));
    const done = record('a', 'COMPLETED');
    expect(cache.json(done, 'http://h')).toBe(json(done, 'http://h'));
    expect(cache.json(done, 'http://other')).toBe(json(done, 'http://other'));
    // Past its limit the oldest goes; every answer is still the view's JSON.
    for (const id of ['b', 'c', 'a', 'b'])
      expect(cache.json(record(id), 'http://h')).toBe(json(record(id), 'http://h'));
  });
});
