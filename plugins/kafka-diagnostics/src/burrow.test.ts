// Burrow's rules on synthetic sample series: each status, the allowance, the group's worst.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluatePartition, worstStatus, type OffsetSample } from './burrow.js';

const series = (rows: Array<[committed: number, latest: number]>): OffsetSample[] => rows.map(([committed, latest], i) => ({ t: 1000 * i, committed, latest }));

test('zero lag in any sample is OK', () => {
  assert.equal(
    evaluatePartition(
      series([
        [10, 20],
        [20, 20],
        [20, 30],
      ]),
    ),
    'OK',
  );
});
test('a committed offset going backwards is REWIND', () => {
  assert.equal(
    evaluatePartition(
      series([
        [10, 20],
        [15, 25],
        [12, 30],
      ]),
    ),
    'REWIND',
  );
});
test('REWIND is checked before the zero-lag rule: a rewind in a window where lag touched zero is REWIND', () => {
  // caught up (lag 0), then the committed offset is reset backwards
  assert.equal(
    evaluatePartition(
      series([
        [20, 20],
        [20, 25],
        [5, 30],
      ]),
    ),
    'REWIND',
  );
  assert.equal(
    evaluatePartition(
      series([
        [10, 20],
        [20, 20],
        [12, 20],
      ]),
    ),
    'REWIND',
  );
  // within the allowance as well: a reset is a reset
  assert.equal(
    evaluatePartition(
      series([
        [20, 22],
        [15, 22],
      ]),
      10,
    ),
    'REWIND',
  );
  // a committed offset that only moves forward with a zero-lag sample stays OK
  assert.equal(
    evaluatePartition(
      series([
        [10, 20],
        [20, 20],
        [25, 40],
      ]),
    ),
    'OK',
  );
});
test('a committed offset that never moves is STOP without live members, STALL with them', () => {
  const s = series([
    [10, 20],
    [10, 25],
    [10, 30],
  ]);
  assert.equal(evaluatePartition(s), 'STOP');
  assert.equal(evaluatePartition(s, 0, false), 'STOP');
  assert.equal(evaluatePartition(s, 0, true), 'STALL');
});
test('lag that never decreases is WARN; lag that decreases once is OK', () => {
  assert.equal(
    evaluatePartition(
      series([
        [10, 20],
        [15, 26],
        [20, 32],
      ]),
    ),
    'WARN',
  );
  assert.equal(
    evaluatePartition(
      series([
        [10, 20],
        [18, 24],
        [20, 32],
      ]),
    ),
    'OK',
  );
});
test('lag within the allowance is OK whatever the trend', () => {
  assert.equal(
    evaluatePartition(
      series([
        [10, 12],
        [10, 13],
        [10, 14],
      ]),
      5,
    ),
    'OK',
  );
  assert.equal(
    evaluatePartition(
      series([
        [10, 12],
        [10, 13],
        [10, 14],
      ]),
      0,
    ),
    'STOP',
  );
});
test('one sample cannot be judged; a group is its worst partition', () => {
  assert.equal(evaluatePartition(series([[10, 20]])), 'OK');
  assert.equal(worstStatus(['OK', 'WARN', 'OK']), 'WARN');
  assert.equal(worstStatus(['OK', 'WARN', 'STOP']), 'STOP');
  assert.equal(worstStatus([]), 'OK');
});
