// Lag in time from (offset, time) tables: interpolation, extrapolation at the production rate,
// caught-up and unknown cases, and the table's compaction.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addPoint, lagSeconds, type OffsetPoint } from './lag-time.js';

const pts: OffsetPoint[] = [
  { offset: 100, t: 0 },
  { offset: 200, t: 10_000 },
  { offset: 300, t: 20_000 },
];

test('caught up is 0 s', () => {
  assert.deepEqual(lagSeconds(pts, 300), { seconds: 0, method: 'caught-up' });
});
test('a committed offset inside the table is interpolated', () => {
  assert.deepEqual(lagSeconds(pts, 150), { seconds: 15, method: 'interpolated' });
  assert.deepEqual(lagSeconds(pts, 250, 25_000), { seconds: 10, method: 'interpolated' });
});
test('an offset older than the table is extrapolated at the observed rate', () => {
  // 200 messages in 20 s = 10/s; offset 50 was written 5 s before the first point.
  assert.deepEqual(lagSeconds(pts, 50), { seconds: 25, method: 'extrapolated' });
});
test('without production in the table the time lag is unknown', () => {
  assert.deepEqual(
    lagSeconds(
      [
        { offset: 100, t: 0 },
        { offset: 100, t: 5000 },
      ],
      50,
    ),
    { method: 'unknown' },
  );
  assert.deepEqual(lagSeconds([], 5), { method: 'unknown' });
});
test('addPoint keeps the first and last time of a flat run and caps the table', () => {
  const t: OffsetPoint[] = [];
  addPoint(t, { offset: 5, t: 0 }, 10);
  addPoint(t, { offset: 5, t: 1000 }, 10);
  addPoint(t, { offset: 5, t: 2000 }, 10);
  addPoint(t, { offset: 8, t: 3000 }, 10);
  assert.deepEqual(t, [
    { offset: 5, t: 0 },
    { offset: 5, t: 2000 },
    { offset: 8, t: 3000 },
  ]);
  for (let i = 0; i < 20; i++) addPoint(t, { offset: 10 + i, t: 4000 + i }, 10);
  assert.equal(t.length, 10);
  assert.equal(t[t.length - 1]!.offset, 29);
});
