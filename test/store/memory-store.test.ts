import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../src/store/memory-store.js';
import { makeTask, runStoreContract } from './store-contract.js';
import { runCreateTaskContract } from './create-task-contract.js';

// Frozen, as gwsim's tests run it: a writer that edits a stored task throws.
runStoreContract('MemoryStore', async () => new MemoryStore({ freezeTasks: true }));
runCreateTaskContract('MemoryStore', async () => new MemoryStore({ freezeTasks: true }));

describe('MemoryStore task records', () => {
  it('shares the record it was given, frozen with its error and attempts, so a writer that edits one throws', async () => {
    const store = new MemoryStore({ freezeTasks: true });
    const task = makeTask({
      status: 'FAILED',
      error: { code: 'provider_error', message: 'failed' },
      attempts: [{ node: 'node47', provider: 'Google', at: 1, outcome: 'accepted', detail: null }],
    });
    await store.putTask(task);
    const got = await store.getTask(task.id);
    expect(got).toBe(task); // no copy on the hot path
    expect(Object.isFrozen(got)).toBe(true);
    expect(Object.isFrozen(got?.error)).toBe(true);
    expect(Object.isFrozen(got?.attempts)).toBe(true);
    expect(Object.isFrozen(got?.attempts[0])).toBe(true);
    expect(() => Object.assign(task, { status: 'COMPLETED' })).toThrow(TypeError);
    // A new record built from it (how every writer makes a task) is free to differ. (Under the
    // same id an ended task is final: putTask leaves it, as the store contract checks.)
    await store.putTask({ ...task, id: `${task.id}_2`, status: 'COMPLETED', error: null });
    expect((await store.getTask(`${task.id}_2`))?.status).toBe('COMPLETED');
    expect(task.status).toBe('FAILED');
  });

  it('without freezeTasks (as gwsim serve runs) it shares the record as it is, copying nothing', async () => {
    const store = new MemoryStore();
    const task = makeTask();
    await store.putTask(task);
    expect(await store.getTask(task.id)).toBe(task);
    expect((await store.listTasks({}))[0]).toBe(task);
    expect(Object.isFrozen(task)).toBe(false);
  });
});
