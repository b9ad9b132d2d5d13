// The live stats ring on its own: counts, 5xx, percentiles within a bin's width, buckets that roll
// over and age out, and the summary window.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BUCKET_MS, binOf, PluginLiveStats, SLOTS } from './live-stats.js';

/** performance.now() of an epoch ms (what accounting hands over). */
const at = (epochMs: number) => epochMs - performance.timeOrigin;
const T0 = Math.floor(Date.now() / BUCKET_MS) * BUCKET_MS;

test('one bucket: requests, 5xx, p50 and p99 within a bin of the exact value, never above the slowest', () => {
  const s = new PluginLiveStats();
  for (let ms = 1; ms <= 100; ms++) s.record(ms, ms % 10 === 0 ? 503 : 200, at(T0 + 100));
  const series = s.series(T0 + 2_000);
  assert.equal(series.t.length, SLOTS);
  assert.equal(series.t.at(-1), T0);
  assert.equal(series.requests.at(-1), 100);
  assert.equal(series.errors.at(-1), 10);
  assert.equal(series.rps.at(-1), 50); // 100 requests in the 2 s of the bucket so far
  const p50 = series.p50_ms.at(-1)!;
  const p99 = series.p99_ms.at(-1)!;
  assert.ok(Math.abs(p50 - 50) / 50 < 0.1, `p50 ${p50}`);
  assert.ok(Math.abs(p99 - 99) / 99 < 0.1 && p99 <= 100, `p99 ${p99}`);
  assert.equal(series.max_ms.at(-1), 100);
  // older buckets are empty: no latency rather than zero
  assert.equal(series.requests[0], 0);
  assert.equal(series.p99_ms[0], null);
});

test('a bucket reused after the ring went round starts from zero; old buckets age out', () => {
  const s = new PluginLiveStats();
  s.record(5, 200, at(T0 + 1));
  s.record(7, 200, at(T0 + BUCKET_MS + 1));
  let series = s.series(T0 + BUCKET_MS + 10);
  assert.deepEqual(series.requests.slice(-2), [1, 1]);
  // one full turn later the same slot holds only the new request
  s.record(300, 500, at(T0 + SLOTS * BUCKET_MS + 1));
  series = s.series(T0 + SLOTS * BUCKET_MS + 1_000);
  assert.equal(series.requests.at(-1), 1);
  assert.equal(series.errors.at(-1), 1);
  assert.equal(series.max_ms.at(-1), 300);
  assert.equal(
    series.requests.reduce((a, b) => a + b),
    2,
    'the bucket of T0 is out of the window, T0+5s still in it',
  );
});

test('summary: the last minute only, rate over the part of the window that passed', () => {
  const s = new PluginLiveStats();
  s.record(2, 200, at(T0 - 120_000)); // two minutes ago: not in the last minute
  for (let i = 0; i < 30; i++) s.record(2, 200, at(T0 + 10));
  for (let i = 0; i < 30; i++) s.record(4, 500, at(T0 + BUCKET_MS + 10));
  const now = T0 + BUCKET_MS + 1_000;
  const m = s.summary(now);
  assert.equal(m.requests, 60);
  assert.equal(m.errors, 30);
  assert.equal(m.rps, 1.07); // 60 requests over the 56 s since the oldest of the minute's 12 buckets began
  assert.ok(m.p50_ms! >= 1.8 && m.p50_ms! <= 2.2, String(m.p50_ms));
  assert.ok(m.p99_ms! >= 3.6 && m.p99_ms! <= 4, String(m.p99_ms));
  assert.deepEqual(new PluginLiveStats().summary(now), { requests: 0, errors: 0, rps: 0, p50_ms: null, p99_ms: null });
});

test('bins: monotonic, ≤ 1 µs in the first, huge values in the last', () => {
  assert.equal(binOf(0), 0);
  assert.equal(binOf(0.001), 0);
  assert.equal(binOf(Number.NaN), 0);
  assert.ok(binOf(0.002) > 0);
  let last = 0;
  for (let ms = 0.0011; ms < 1e6; ms *= 1.07) {
    const b = binOf(ms);
    assert.ok(b >= last);
    last = b;
  }
  assert.equal(binOf(1e9), binOf(1e12));
});
