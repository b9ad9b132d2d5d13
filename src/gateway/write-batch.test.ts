import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import { WriteBatch } from './write-batch.js';

test('answers wait for the end of the turn (after the I/O callbacks and their microtasks), then go out in order, together', async () => {
  const batch = new WriteBatch();
  const written: string[] = [];
  const w = (name: string) => ({ write: () => written.push(name) });
  batch.add(w('a'));
  batch.add(w('b'));
  assert.deepEqual(written, [], 'not written when queued');
  await Promise.resolve();
  assert.deepEqual(written, [], 'not written after a microtask either: other requests of this turn are still being read');
  batch.add(w('c'));
  assert.equal(batch.pending, 3);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(written, ['a', 'b', 'c']);
  assert.equal(batch.pending, 0);

  // queued again after a flush: a new flush is scheduled
  batch.add(w('d'));
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(written, ['a', 'b', 'c', 'd']);
});

test('an answer whose write throws does not keep the others back, and the batch keeps working', async () => {
  const batch = new WriteBatch();
  const written: string[] = [];
  batch.add({ write: () => written.push('a') });
  batch.add({
    write: () => {
      throw new Error('boom');
    },
  });
  batch.add({ write: () => written.push('c') });
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(written, ['a', 'c']);
  batch.add({ write: () => written.push('d') });
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(written, ['a', 'c', 'd']);
});

test("a test's fake timers do not hold answers back (the real setImmediate is captured at load)", async () => {
  const batch = new WriteBatch();
  const written: string[] = [];
  const realImmediate = setImmediate;
  mock.timers.enable({ apis: ['setImmediate'] });
  try {
    batch.add({ write: () => written.push('a') });
    await new Promise((resolve) => realImmediate(resolve));
    assert.deepEqual(written, ['a']);
  } finally {
    mock.timers.reset();
  }
});
