import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { EndpointRateLimiter, MemoryWindows, parseRateLimit } from './rate-limit.js';
import { Bulkhead, BulkheadRejectedError } from './bulkhead.js';
import { waitFor } from '../wait.test-helper.js';

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

test('the memory limiter decides synchronously, as the installed rate-limiter-flexible decides, window by window', async () => {
  // Our own windows (MemoryWindows) against the library's public API, decision by decision: this
  // fails when an upgrade of rate-limiter-flexible changes how its memory limiter decides.
  const l = new EndpointRateLimiter({ points: 3, durationSec: 1, raw: '3/s' }, 'sync', { store: 'memory', keyPrefix: 't' });
  assert.equal(l.syncMemory, true);
  const lib = new RateLimiterMemory({ points: 3, duration: 1, keyPrefix: 'lib' });
  const libDecision = async (key: string) => {
    try {
      const r = await lib.consume(key);
      return { allowed: true, remaining: r.remainingPoints, resetSec: Math.ceil(r.msBeforeNext / 1000) };
    } catch (e) {
      const r = e as RateLimiterRes;
      return { allowed: false, remaining: r.remainingPoints, resetSec: Math.ceil(r.msBeforeNext / 1000) };
    }
  };
  for (const key of ['k', 'other']) {
    for (let i = 0; i < 5; i++) {
      const d = l.consume(key);
      assert.ok(!(d instanceof Promise), 'a memory decision is not a promise');
      const want = await libDecision(key);
      assert.deepEqual({ allowed: d.allowed, remaining: d.remaining, resetSec: d.resetSec }, want, `${key}: request ${i + 1}`);
      if (!d.allowed) assert.equal(d.retryAfterSec, 1);
    }
  }
  // The next window admits again, for both: the library's window for k began after ours, so ours has ended once its has.
  await waitFor(async () => (await lib.get('k')) === null, { what: "the library's window for k to end" });
  const next = l.consume('k') as Exclude<ReturnType<typeof l.consume>, Promise<unknown>>;
  assert.deepEqual([next.allowed, next.remaining], [true, 2]);
  assert.deepEqual((await libDecision('k')).remaining, 2);
});

test('memory windows: an ended window is dropped by the next sweep, so idle keys do not pile up', () => {
  const w = new MemoryWindows(5, 1);
  for (let i = 0; i < 100; i++) w.consume(`ip:${i}`, 1_000);
  assert.equal(w.size, 100);
  assert.equal(w.consume('ip:0', 1_500).consumed, 2, 'same window');
  assert.equal(w.consume('ip:0', 2_000).consumed, 1, 'a new window once the first ended');
  assert.equal(w.size, 1, 'the sweep at 2,000 ms dropped the 99 ended windows');
});

test('bulkhead refuses a call beyond maxConcurrent + queue', async () => {
  const b = new Bulkhead({ maxConcurrent: 1, queue: 0 });
  let release!: () => void;
  const first = b.execute(() => new Promise<void>((r) => (release = r)));
  assert.equal(b.active, 1);
  await assert.rejects(
    b.execute(async () => 1),
    BulkheadRejectedError,
  );
  assert.equal(b.rejected, 1);
  release();
  await first;
  assert.equal(await b.execute(async () => 2), 2);
});
