import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalizeManifest } from '../manifest/index.js';
import { PluginRecord, Registry } from './registry.js';

const rec = (id: string, version = '1.0.0', kind: 'handler' | 'action' = 'handler') => new PluginRecord(normalizeManifest({ id, version, kind }), { dir: '/tmp' }, {}, true);

test('lookup by id and id@version; two versions side by side; setActive switches', () => {
  const r = new Registry();
  const v1 = rec('p', '1.0.0');
  const v2 = rec('p', '2.0.0');
  r.add(v1);
  r.add(v2);
  assert.equal(r.get('p'), v1);
  assert.equal(r.getVersion('p', '2.0.0'), v2);
  assert.equal(r.size, 1);
  r.setActive('p', '2.0.0');
  assert.equal(r.get('p'), v2);
  assert.deepEqual(r.list(), [v2]);
  r.remove(v2);
  assert.equal(r.get('p'), v1);
});

test('kind and state indexes follow every transition', () => {
  const r = new Registry();
  const a = rec('a');
  const b = rec('b', '1.0.0', 'action');
  r.add(a);
  r.add(b);
  assert.deepEqual(r.list({ kind: 'action' }), [b]);
  assert.equal(r.countByState('unloaded'), 2);
  r.setState(a, 'loaded');
  assert.deepEqual(r.list({ state: 'loaded' }), [a]);
  assert.deepEqual(r.list({ state: 'unloaded' }), [b]);
  assert.deepEqual(r.list({ state: 'loaded', kind: 'action' }), []);
  r.remove(a);
  assert.equal(r.countByState('loaded'), 0);
});

test('the per-plugin lock serializes operations in call order; other ids run freely', async () => {
  const r = new Registry();
  const order: string[] = [];
  let release!: () => void;
  const gate = new Promise<void>((res) => (release = res));
  const first = r.lock('p', async () => {
    order.push('first:start');
    await gate;
    order.push('first:end');
  });
  const second = r.lock('p', () => void order.push('second'));
  const other = r.lock('q', () => void order.push('other'));
  await other;
  assert.deepEqual(order, ['first:start', 'other']);
  release();
  await Promise.all([first, second]);
  assert.deepEqual(order, ['first:start', 'other', 'first:end', 'second']);
  await assert.rejects(
    r.lock('p', () => Promise.reject(new Error('boom'))),
    /boom/,
  );
  assert.equal(await r.lock('p', () => 42), 42, 'a failed operation does not poison the queue');
});
