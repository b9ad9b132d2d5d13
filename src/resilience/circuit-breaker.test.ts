import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CircuitBreaker, type CircuitChange } from './circuit-breaker.js';

function setup(halfOpenLimit = 1) {
  let t = 1_000;
  const changes: CircuitChange[] = [];
  const b = new CircuitBreaker(
    { failureThreshold: 3, openTimeoutMs: 5_000, halfOpenLimit },
    (c) => changes.push(c),
    () => t,
  );
  return { b, changes, advance: (ms: number) => (t += ms) };
}

test('opens after failureThreshold consecutive failures, not before; a success resets the count', () => {
  const { b, changes } = setup();
  b.failure();
  b.failure();
  b.success();
  b.failure();
  b.failure();
  assert.equal(b.state, 'closed');
  b.failure();
  assert.equal(b.state, 'open');
  assert.equal(b.tryAcquire(), false);
  assert.deepEqual(changes, [{ from: 'closed', to: 'open' }]);
});

test('half-open after the open timeout admits halfOpenLimit trials and closes when they succeed', () => {
  const { b, changes, advance } = setup(2);
  for (let i = 0; i < 3; i++) b.failure();
  assert.equal(b.retryAfterSec(), 5);
  advance(4_999);
  assert.equal(b.tryAcquire(), false);
  advance(1);
  assert.equal(b.tryAcquire(), true);
  assert.equal(b.state, 'half_open');
  assert.equal(b.tryAcquire(), true);
  assert.equal(b.tryAcquire(), false, 'third trial refused while half-open');
  b.success();
  assert.equal(b.state, 'half_open');
  b.success();
  assert.equal(b.state, 'closed');
  assert.deepEqual(
    changes.map((c) => c.to),
    ['open', 'half_open', 'closed'],
  );
});

test('a failed trial reopens the circuit', () => {
  const { b, advance } = setup();
  for (let i = 0; i < 3; i++) b.failure();
  advance(5_000);
  assert.equal(b.tryAcquire(), true);
  b.failure();
  assert.equal(b.state, 'open');
  assert.equal(b.tryAcquire(), false);
});
