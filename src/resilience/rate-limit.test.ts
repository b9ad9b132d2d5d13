import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
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

test('the memory limiter decides synchronously, as rate-limiter-flexible decides, window by window', async () => {
  const l = new EndpointRateLimiter({ points: 3, durationSec: 1, raw: '3/s' }, 'sync', { store: 'memory', keyPrefix: 't' });
  // Fails when an upgrade of rate-limiter-flexible removes the storage the synchronous path uses
  // (consume() then still works, through the library's promise).
  assert.equal(l.syncMemory, true, 'rate-limiter-flexible no longer exposes _memoryStorage.incrby');
  const lib = new RateLimiterMemory({ points: 3, duration: 1, keyPrefix: 'lib' });
  const libDecision = async () => {
    try {
      const r = await lib.consume('k');
      return { allowed: true, remaining: r.remainingPoints };
    } catch (e) {
      return { allowed: false, remaining: (e as RateLimiterRes).remainingPoints };
    }
  };
  for (let i = 0; i < 5; i++) {
    const d = l.consume('k');
    assert.ok(!(d instanceof Promise), 'a memory decision is not a promise');
    const want = await libDecision();
    assert.deepEqual({ allowed: d.allowed, remaining: d.remaining }, want, `request ${i + 1}`);
    assert.ok(d.resetSec >= 0 && d.resetSec <= 1);
    if (!d.allowed) assert.equal(d.retryAfterSec, 1);
  }
  // The next window admits again.
  await new Promise((r) => setTimeout(r, 1100));
  const next = l.consume('k') as Exclude<ReturnType<typeof l.consume>, Promise<unknown>>;
  assert.deepEqual([next.allowed, next.remaining], [true, 2]);
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
