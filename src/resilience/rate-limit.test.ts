import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EndpointRateLimiter, parseRateLimit } from './rate-limit.js';
import { Bulkhead, BulkheadRejectedError } from './bulkhead.js';

test('parseRateLimit reads N/s, N/min, N/h and refuses the rest', () => {
  assert.deepEqual(parseRateLimit('100/min'), { points: 100, durationSec: 60, raw: '100/min' });
  assert.equal(parseRateLimit('5/s')?.durationSec, 1);
  assert.equal(parseRateLimit('7/h')?.durationSec, 3600);
  assert.equal(parseRateLimit('0/s'), undefined);
  assert.equal(parseRateLimit('ten/s'), undefined);
});

test('memory limiter refuses the request over the limit with retry-after and remaining 0', async () => {
  const l = new EndpointRateLimiter({ points: 2, durationSec: 60, raw: '2/min' }, 'unit', { store: 'memory', keyPrefix: 't' });
  const a = await l.consume('k');
  const b = await l.consume('k');
  const c = await l.consume('k');
  assert.deepEqual([a.allowed, b.allowed, c.allowed], [true, true, false]);
  assert.equal(b.remaining, 0);
  assert.ok(c.retryAfterSec >= 1 && c.retryAfterSec <= 60);
  assert.equal((await l.consume('other')).allowed, true, 'keys are independent');
});

test('bulkhead refuses a call beyond maxConcurrent + queue', async () => {
  const b = new Bulkhead({ maxConcurrent: 1, queue: 0 });
  let release!: () => void;
  const first = b.execute(() => new Promise<void>((r) => (release = r)));
  assert.equal(b.active, 1);
  await assert.rejects(b.execute(async () => 1), BulkheadRejectedError);
  assert.equal(b.rejected, 1);
  release();
  await first;
  assert.equal(await b.execute(async () => 2), 2);
});
