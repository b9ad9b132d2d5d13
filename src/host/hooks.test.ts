import assert from 'node:assert/strict';
import { test } from 'node:test';
import pino from 'pino';
import { EventBusImpl } from './events.js';
import { HookManagerImpl } from './hooks.js';
import { MemoryStorage } from './storage.js';

const silent = pino({ level: 'silent' });

test('hooks: error and timeout are isolated and counted; later hooks still run', async () => {
  const hooks = new HookManagerImpl(silent);
  const seen: number[] = [];
  hooks.add('onRequest', () => {
    throw new Error('bad hook');
  });
  hooks.add('onRequest', () => new Promise(() => {}), { timeoutMs: 20 });
  hooks.add('onRequest', (p: { n: number }) => void seen.push(p.n));
  await hooks.run('onRequest', { n: 1 });
  await hooks.run('onRequest', { n: 2 });
  assert.deepEqual(seen, [1, 2]);
  const s = hooks.stats().onRequest!;
  assert.equal(s.count, 6);
  assert.equal(s.errors, 2);
  assert.equal(s.timeouts, 2);
  assert.ok(s.p99Ms >= 20 && s.meanMs > 0, JSON.stringify(s));
});

// A plugin's own hooks go when it stops or fails (its abort signal): test/host/plugin-hooks.test.ts.
test('hooks: the function add returns removes that hook, and only it', async () => {
  const hooks = new HookManagerImpl(silent);
  const off = hooks.add('onError', () => undefined);
  hooks.add('lifecycle.running', () => undefined, { owner: 'p' });
  assert.ok(hooks.has('onError'));
  off();
  assert.ok(!hooks.has('onError') && hooks.has('lifecycle.running'));
});

test('events: wildcard subscriptions; a failing subscriber is isolated and counted', async () => {
  const bus = new EventBusImpl(silent);
  const got: string[] = [];
  bus.on('plugin.*', (e) => void got.push(`w:${e.type}`));
  bus.on('plugin.state_changed', () => {
    throw new Error('subscriber bug');
  });
  bus.on('plugin.state_changed', async () => {
    throw new Error('async subscriber bug');
  });
  bus.on('plugin.state_changed', (e) => void got.push(`x:${e.source}`));
  bus.on('*', (e) => void got.push(`all:${e.type}`), 'owner-a');
  await bus.emit('plugin.state_changed', {}, 'me');
  await bus.emit('user.created', {});
  assert.deepEqual(got, ['x:me', 'w:plugin.state_changed', 'all:plugin.state_changed', 'all:user.created']);
  assert.equal(bus.stats().subscriberErrors, 2);
  bus.offOwner('owner-a');
  await bus.emit('user.created', {});
  assert.equal(got.length, 4);
});

test('storage: TTL expiry and per-plugin namespaces', async () => {
  let now = 1000;
  const s = new MemoryStorage(() => now);
  const a = s.namespace('a');
  const b = s.namespace('b');
  await a.set('k', 1, 100);
  await b.set('k', 2);
  assert.equal(await a.get('k'), 1);
  assert.equal(await b.get('k'), 2);
  now += 101;
  assert.equal(await a.exists('k'), false);
  assert.equal(await b.get('k'), 2);
  assert.equal(await b.delete('k'), true);
  assert.equal(await b.delete('k'), false);
});
