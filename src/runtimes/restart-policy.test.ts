import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RestartPolicy } from './restart-policy.js';

const tuning = { backoffBaseMs: 1000, backoffMaxMs: 5000, restartLimit: 5, restartWindowMs: 60_000 };

test('restarts wait 1, 2, 4 s (capped), then the fifth crash within the window gives up', () => {
  const p = new RestartPolicy(tuning);
  assert.deepEqual(p.crashed(0), { restart: true, attempt: 1, delayMs: 1000 });
  assert.deepEqual(p.crashed(10), { restart: true, attempt: 2, delayMs: 2000 });
  assert.deepEqual(p.crashed(20), { restart: true, attempt: 3, delayMs: 4000 });
  assert.deepEqual(p.crashed(30), { restart: true, attempt: 4, delayMs: 5000 }, 'capped at backoffMaxMs');
  assert.deepEqual(p.crashed(40), { restart: false, count: 5 });
});

test('crashes older than the window no longer count', () => {
  const p = new RestartPolicy(tuning);
  for (let i = 0; i < 4; i++) p.crashed(i);
  assert.deepEqual(p.crashed(61_000), { restart: true, attempt: 1, delayMs: 1000 }, 'the four early crashes fell out of the 60 s window');
});
