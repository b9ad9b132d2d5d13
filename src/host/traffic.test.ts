import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fnv1a, inCanary, routingKey, Traffic } from './traffic.js';
import { errorRateVerdict } from './releases/rollback-watch.js';
import type { PluginRecord } from './registry.js';

test('canary split: 10% of many request ids (deterministic hashing), 0 and 100 exact', () => {
  let hits = 0;
  const n = 20_000;
  for (let i = 0; i < n; i++) if (inCanary('svc', `r:req-${i}`, 10)) hits++;
  assert.ok(hits / n > 0.09 && hits / n < 0.11, `share ${hits / n}`);
  assert.equal(inCanary('svc', 'r:x', 0), false);
  assert.equal(inCanary('svc', 'r:x', 100), true);
  assert.equal(fnv1a('abc'), fnv1a('abc'));
});

test('sticky_by user: every request of a user goes the same way; about percent of users are in', () => {
  const users = Array.from({ length: 5000 }, (_, i) => `user-${i}`);
  let inUsers = 0;
  for (const u of users) {
    const first = inCanary('svc', routingKey([{ id: 'r1', userId: u }], 'user'), 25);
    for (let r = 0; r < 5; r++) assert.equal(inCanary('svc', routingKey([{ id: `r${r}-${u}`, userId: u }], 'user'), 25), first);
    if (first) inUsers++;
  }
  assert.ok(inUsers / users.length > 0.22 && inUsers / users.length < 0.28, `user share ${inUsers / users.length}`);
  assert.equal(routingKey([{ id: 'r9' }], 'user'), 'r:r9', 'no user: per request');
  assert.equal(routingKey([{ id: 'r9', userId: 'u' }], 'none'), 'r:r9');
  assert.equal(routingKey(['plain'], 'none'), undefined);
});

test('traffic: a call is counted on the instance chosen, 5xx answers count as errors, drain waits for in-flight calls', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const rec = (version: string) =>
    ({ id: 'svc', version, state: 'running', runtime: { call: async (_m: string, p: unknown[]) => (await gate, { statusCode: (p[0] as { s: number }).s }) } }) as unknown as PluginRecord;
  const stable = rec('1');
  const canary = rec('2');
  const t = new Traffic();
  t.setSplit('svc', { canary, percent: 50, stickyBy: 'none' });
  const picks = Array.from({ length: 200 }, (_, i) => t.choose(stable, [{ id: `q${i}` }]));
  assert.ok(picks.includes(stable) && picks.includes(canary));
  const calls = [t.invoke(stable, 'handleRequest', [{ s: 200 }], undefined), t.invoke(stable, 'handleRequest', [{ s: 503 }], undefined)];
  assert.equal(t.countersOf(stable).inFlight, 2);
  let drained = false;
  const d = t.drain(stable, 5000).then((r) => ((drained = true), r));
  await new Promise((r) => setImmediate(r));
  assert.equal(drained, false, 'drain waits while calls are in flight');
  release();
  await Promise.all(calls);
  assert.deepEqual(await d, { drained: true, inFlight: 0 });
  assert.equal(t.countersOf(stable).calls, 2);
  assert.equal(t.countersOf(stable).errors, 1);
});

test('rollback rule: the error rate counts only over at least minCalls calls and must pass the threshold', () => {
  const rules = { errorRateThreshold: 0.5, minCalls: 10 };
  assert.equal(errorRateVerdict({ calls: 9, errors: 9 }, rules), undefined);
  assert.equal(errorRateVerdict({ calls: 10, errors: 5 }, rules), undefined);
  assert.match(errorRateVerdict({ calls: 10, errors: 6 }, rules)!, /error rate 60\.0% \(6 of 10 calls\)/);
});

test('traffic: the one place a call is timed — sync, thrown and async calls, lastUsedMs from the same reading', async () => {
  const spin = (ms: number) => {
    const end = performance.now() + ms;
    while (performance.now() < end);
  };
  const rec = {
    id: 'svc',
    version: '1',
    state: 'running',
    runtime: {
      invoke: (m: string) => {
        spin(5);
        if (m === 'throws') throw new Error('plugin threw');
        if (m === 'async') return new Promise((r) => setTimeout(() => r('late'), 30));
        return 'now';
      },
    },
  } as unknown as PluginRecord;
  const t = new Traffic();
  const before = Date.now();
  assert.equal(t.invoke(rec, 'm', [], undefined), 'now');
  assert.ok(t.countersOf(rec).totalMs >= 5);
  assert.ok(rec.lastUsedMs >= before - 1 && rec.lastUsedMs <= Date.now() + 1, `lastUsedMs ${rec.lastUsedMs}`);
  assert.throws(() => t.invoke(rec, 'throws', [], undefined), /plugin threw/);
  assert.equal(await t.invoke(rec, 'async', [], undefined), 'late');
  const c = t.countersOf(rec);
  assert.ok(c.totalMs >= 5 + 5 + 5 + 25, `an async call is timed to its end (${c.totalMs})`);
  assert.deepEqual([c.calls, c.errors, c.inFlight], [3, 1, 0]);
});
