// The worker runtime against real threads: calls, bridged context, lifecycle, instances, limits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createWorkerRuntime } from '../../src/runtimes/worker/index.js';
import { createRuntime } from '../../src/runtimes/index.js';
import { fixture, harness, manifest } from './helpers.js';
import type { PluginRequest, PluginResponse } from '../../src/sdk/types.js';

const req = (path: string, over: Partial<PluginRequest> = {}): PluginRequest => ({ id: 'r1', method: 'GET', path, params: {}, query: {}, headers: {}, context: {}, ...over });

test('worker runtime loads a .ts plugin, calls it and bridges its context', async () => {
  const h = harness(manifest({ id: 'basic', actions: ['ping'] }), fixture('basic.ts'), { greeting: 'hi' });
  h.flags.beta = true;
  const rt = await createRuntime('worker', h.init);
  assert.equal(rt.type, 'worker');
  try {
    await rt.load();
    assert.ok(rt.implements('handleRequest'));
    assert.ok(!rt.implements('authenticate'));
    await rt.call('init');
    await rt.call('start');
    const res = await rt.call<PluginResponse>('handleRequest', [req('/echo', { body: { a: 1 } })]);
    assert.deepEqual(res, { statusCode: 200, body: { got: { a: 1 }, config: { greeting: 'hi' }, started: 1, flag: true } });

    const bytes = await rt.call<PluginResponse>('handleRequest', [req('/bytes', { body: new Uint8Array([9]) })]);
    assert.deepEqual(bytes.body, new Uint8Array([1, 2, 3, 9]));

    h.publish({ type: 'greeting.sent', source: 'x', data: { hello: 'world' }, time: new Date().toISOString() });
    // The subscription handler runs in the worker and writes storage through the bridge.
    for (let i = 0; i < 100 && !h.storage.has('last-greeting'); i++) await new Promise((r) => setImmediate(r));
    const store = await rt.call<PluginResponse>('handleRequest', [req('/store')]);
    assert.deepEqual(store.body, { v: { n: 1 }, exists: true, last: { hello: 'world' } });
    assert.equal(h.emitted[0]?.type, 'thing.done');

    const line = h.logs.find((l) => l.msg === 'initializing');
    assert.equal(line?.plugin_id, 'basic');
    assert.equal(line?.version, '1.0.0');
    assert.equal(line?.phase, 'init');

    await assert.rejects(rt.call('handleRequest', [req('/service')]), { code: 'PLW_ERR_SERVICE_UNAVAILABLE' });
    await assert.rejects(rt.call('handleRequest', [req('/throw')]), (e: Error & { code: string }) => e.code === 'PLW_ERR_PLUGIN_THREW' && /boom from plugin/.test(e.message));
    assert.deepEqual(await rt.call('execute', ['ping', { a: 1 }]), { action: 'ping', params: { a: 1 } });
    await assert.rejects(rt.call('execute', ['drop', {}]), { code: 'PLW_ERR_ACTION_NOT_ALLOWED' });
    await assert.rejects(rt.call('authenticate', [req('/')]), { code: 'PLW_ERR_METHOD_NOT_IMPLEMENTED' });

    const usage = await rt.resourceUsage();
    assert.equal(typeof usage.cpuUsagePercent, 'number');
    assert.ok((usage.memoryUsageMb as number) > 0, 'heap used is reported');
    assert.equal((usage.instances as unknown[]).length, 1);
    const s = rt.stats();
    assert.ok(s.calls >= 8);
    assert.equal(s.inFlight, 0);
    assert.equal(rt.exports(), undefined);
  } finally {
    await rt.dispose();
    await rt.dispose();
  }
});

test('worker runtime loads a .mjs factory plugin with its config', async () => {
  const h = harness(manifest({ id: 'factory' }), fixture('factory.mjs'), { greeting: 'hey' });
  const rt = createWorkerRuntime(h.init);
  try {
    await rt.load();
    assert.deepEqual(await rt.call('handleRequest', [req('/x')]), { statusCode: 200, body: { greeting: 'hey', path: '/x' } });
  } finally {
    await rt.dispose();
  }
});

test('a missing entry fails load with PLW_ERR_PLUGIN_IMPORT_FAILED', async () => {
  const h = harness(manifest({ id: 'missing' }), fixture('nope.mjs'));
  const rt = createWorkerRuntime(h.init);
  await assert.rejects(rt.load(), (e: Error & { code: string }) => e.code === 'PLW_ERR_PLUGIN_IMPORT_FAILED' && e.message.includes('nope.mjs'));
  await rt.dispose();
});

test('N instances share the load (least busy first) and large payloads take the message path', async () => {
  const h = harness(manifest({ id: 'pool', runtime: { type: 'worker', instances: 3 } }), fixture('basic.ts'));
  const rt = createWorkerRuntime(h.init, { ringBytes: 8192 });
  try {
    await rt.load();
    const slow = await Promise.all([0, 1, 2].map(() => rt.call<PluginResponse>('handleRequest', [req('/slow', { query: { ms: '100' } })])));
    assert.equal(slow.length, 3);
    assert.equal(((await rt.resourceUsage()).instances as unknown[]).length, 3);
    // 8 KiB rings: a 100 kB body cannot take the fast path and must still arrive intact.
    const big = await rt.call<PluginResponse>('handleRequest', [req('/big', { query: { n: '100000' }, body: 'y'.repeat(100_000) })]);
    assert.equal((big.body as string).length, 100_000);
  } finally {
    await rt.dispose();
  }
});

test('long strings and byte arrays cross whole, both ways (raw segments beside the JSON in the ring)', async () => {
  const rt = createWorkerRuntime(harness(manifest({ id: 'segments' }), fixture('basic.ts')).init);
  try {
    await rt.load();
    const bodies: unknown[] = [
      'x'.repeat(64 * 1024),
      'é😀"\\\n'.repeat(20_000),
      `${'q'.repeat(5000)}\ud800`, // a lone surrogate: no UTF-8 form, stays in the JSON
      new Uint8Array(100_000).fill(7),
      { nested: ['z'.repeat(10_000), new Uint8Array([1, 2]), 'short'] },
    ];
    for (const body of bodies) {
      const res = await rt.call<PluginResponse>('handleRequest', [req('/echo', { body: body as PluginRequest['body'] })]);
      assert.deepEqual((res.body as { got: unknown }).got, body);
    }
    const big = await rt.call<PluginResponse>('handleRequest', [req('/big', { query: { n: '300000' } })]);
    assert.equal(big.body, 'x'.repeat(300_000));
  } finally {
    await rt.dispose();
  }
});

test('an aborted signal and a passed deadline end the call with coded errors', async () => {
  const h = harness(manifest({ id: 'deadline' }), fixture('basic.ts'));
  const rt = createWorkerRuntime(h.init);
  try {
    await rt.load();
    await assert.rejects(rt.call('handleRequest', [req('/slow', { query: { ms: '5000' } })], { deadline: Date.now() + 50 }), { code: 'PLW_ERR_PLUGIN_TIMEOUT' });
    const ac = new AbortController();
    const p = rt.call('handleRequest', [req('/slow', { query: { ms: '5000' } })], { signal: ac.signal });
    ac.abort(new Error('client went away'));
    await assert.rejects(p, { code: 'PLW_ERR_CALL_ABORTED' });
    // An async wait gives the thread back: the instance is not terminated.
    assert.deepEqual((await rt.call<PluginResponse>('handleRequest', [req('/echo')])).statusCode, 200);
    assert.equal(h.events.filter((e) => e.type === 'runtime.worker_terminated').length, 0);
    assert.equal(rt.stats().timeouts, 1);
  } finally {
    await rt.dispose();
  }
});

test('permissions.env: a worker thread sees only the variables its manifest grants', async () => {
  process.env.PLW_WORKER_GRANTED = 'granted';
  process.env.PLW_WORKER_SECRET = 'secret';
  const h = harness(manifest({ id: 'env-reader', permissions: { network: [], env: ['PLW_WORKER_GRANTED'], fs: [] } }), fixture('env-reader.mjs'));
  const rt = createWorkerRuntime(h.init);
  try {
    await rt.load();
    const res = await rt.call<PluginResponse>('handleRequest', [req('/')]);
    assert.deepEqual(res.body, { granted: 'granted', names: ['PLW_WORKER_GRANTED'] });
  } finally {
    await rt.dispose();
  }
});
