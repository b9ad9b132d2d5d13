// The balancers and the retry budget on their own: consistent hashing moves only the keys of the
// upstream that left; least-request prefers the idle one; the budget caps retries in flight.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createBalancer } from './balancer.js';
import { RetryBudget } from './upstream-set.js';
import { Upstream } from './upstream.js';

const ups = (n: number) => Array.from({ length: n }, (_, i) => new Upstream(`http://10.0.0.${i + 1}:9000`, 'static', { connections: 1 }));

test('consistent-hash: keys spread, and removing one upstream moves only its own keys', async () => {
  const four = ups(4);
  const b = createBalancer('consistent-hash');
  b.reset(four);
  const now = Date.now();
  const before = new Map<string, Upstream>();
  const counts = new Map<Upstream, number>();
  for (let k = 0; k < 4000; k++) {
    const u = b.pick(now, `user-${k}`, undefined)!;
    before.set(`user-${k}`, u);
    counts.set(u, (counts.get(u) ?? 0) + 1);
  }
  for (const c of counts.values()) assert.ok(c > 600 && c < 1400, `each of 4 upstreams gets ~1000 keys, got ${[...counts.values()].join(', ')}`);
  b.reset(four.slice(0, 3));
  let moved = 0;
  for (const [k, u] of before) {
    const now2 = b.pick(now, k, undefined)!;
    if (u !== four[3] && now2 !== u) moved++;
  }
  assert.equal(moved, 0, 'keys of the upstreams that stayed did not move');
  // an ejected upstream's keys go to its neighbours, the others stay
  four[0]!.ejectedUntil = now + 60_000;
  b.reset(four);
  for (const [k, u] of before) if (u !== four[0]) assert.equal(b.pick(now, k, undefined), u);
  await Promise.all(four.map((u) => u.destroy()));
});

test('least-request picks the upstream with the fewest in flight; round-robin rotates; none available is undefined', async () => {
  const three = ups(3);
  const lr = createBalancer('least-request');
  lr.reset(three);
  three[0]!.inFlight = 3;
  three[1]!.inFlight = 1;
  three[2]!.inFlight = 2;
  assert.equal(lr.pick(Date.now(), undefined, undefined), three[1]);
  assert.equal(lr.pick(Date.now(), undefined, three[1]), three[2], 'the excluded one (a retry) is skipped');
  const rr = createBalancer('round-robin');
  rr.reset(three);
  const seen = [0, 1, 2, 3, 4, 5].map(() => rr.pick(Date.now(), undefined, undefined));
  assert.deepEqual(seen, [...three, ...three]);
  for (const u of three) u.healthy = false;
  assert.equal(rr.pick(Date.now(), undefined, undefined), undefined);
  await Promise.all(three.map((u) => u.destroy()));
});

test('retry budget: retries in flight at most budget_percent of requests in flight, but always min_concurrency', () => {
  const b = new RetryBudget(20, 2);
  b.active = 5; // 20 % of 5 is 1: the floor of 2 applies
  assert.equal(b.tryAcquire(), true);
  assert.equal(b.tryAcquire(), true);
  assert.equal(b.tryAcquire(), false);
  b.release();
  assert.equal(b.tryAcquire(), true);
  b.active = 50; // 20 % of 50 is 10
  let granted = 0;
  while (b.tryAcquire()) granted++;
  assert.equal(granted + 2, 10);
  assert.equal(b.exhausted, 2);
});
