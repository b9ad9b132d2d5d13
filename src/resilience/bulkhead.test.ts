import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Bulkhead, BulkheadRejectedError } from './bulkhead.js';

test('run: a synchronous answer holds no slot; a promise holds one until it settles; full means queue, then refusal', async () => {
  const b = new Bulkhead({ maxConcurrent: 2, queue: 1 });
  for (let i = 0; i < 5; i++)
    assert.equal(
      b.run(() => i),
      i,
    );
  assert.equal(b.active, 0);
  assert.throws(
    () =>
      b.run(() => {
        throw new Error('sync throw');
      }),
    /sync throw/,
  );
  assert.equal(b.active, 0);

  const release: Array<() => void> = [];
  const slow = () => new Promise<string>((resolve) => release.push(() => resolve('slow')));
  const a = b.run(slow);
  const c = b.run(slow);
  assert.ok(a instanceof Promise && c instanceof Promise);
  assert.equal(b.active, 2);
  // Full: the next call waits in the queue (its function not run yet), the one after is refused.
  let queuedRan = false;
  const queued = b.run(() => ((queuedRan = true), 'queued'));
  assert.ok(queued instanceof Promise);
  assert.equal(queuedRan, false);
  await assert.rejects(Promise.resolve(b.run(() => 'refused')), BulkheadRejectedError);
  assert.equal(b.rejected, 1);
  release.shift()!();
  assert.equal(await a, 'slow');
  assert.equal(await queued, 'queued');
  assert.equal(queuedRan, true);
  release.shift()!();
  assert.equal(await c, 'slow');
  assert.equal(b.active, 0);
});
