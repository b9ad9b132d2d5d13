// The isolated-runtime examples, loaded from their own plugin.yaml as the host would load them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadManifestFromDir } from '../../src/manifest/index.js';
import { createRuntime } from '../../src/runtimes/index.js';
import { harness } from './helpers.js';
import type { PluginResponse } from '../../src/sdk/types.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const req = (method: string, path: string, over: Record<string, unknown> = {}) => ({ id: 'r', method, path, params: {}, query: {}, headers: {}, context: {}, ...over });

async function load(name: string) {
  const result = await loadManifestFromDir(`${root}examples/${name}`);
  assert.deepEqual(result.errors, []);
  return result;
}

test('examples/ai-recommendations (AssemblyScript → wasm) serves its endpoints', async () => {
  execFileSync(process.execPath, ['scripts/build-examples.mjs', '--if-needed'], { cwd: root, stdio: 'ignore' });
  const { manifest, entryPath } = await load('ai-recommendations');
  const h = harness(manifest!, entryPath, { catalog: 't1,t2,t3,t4', limit: 2 });
  const rt = await createRuntime('wasm', h.init);
  await rt.load();
  try {
    assert.ok(rt.implements('handleRequest') && rt.implements('healthCheck'));
    const rec = await rt.call<PluginResponse>('handleRequest', [req('POST', '/recommendations/users/u1/activity', { body: { track: 't1' } })]);
    assert.equal(rec.statusCode, 202);
    assert.equal(h.storage.get('history:u1'), 't1');
    assert.deepEqual(h.emitted.map((e) => [e.type, e.data]), [['recommendations.activity_recorded', { user: 'u1', track: 't1' }]]);
    const got = await rt.call<PluginResponse>('handleRequest', [req('GET', '/recommendations', { query: { user: 'u1' } })]);
    assert.deepEqual(got.body, { user: 'u1', recommendations: ['t2', 't3'], heard: 1 });
    // Many calls whose host functions block the worker on the bridge, sequential and concurrent:
    // no wake-up may be lost between the blocking and the async waits on the same ring.
    for (let i = 0; i < 20; i++) await rt.call('handleRequest', [req('POST', '/recommendations/users/u2/activity', { body: { track: `s${i}` } })]);
    await Promise.all(Array.from({ length: 20 }, (_, i) => rt.call('handleRequest', [req('POST', '/recommendations/users/u3/activity', { body: { track: `c${i}` } })])));
    assert.equal(String(h.storage.get('history:u2')).split(',').length, 20);
    assert.equal(String(h.storage.get('history:u3')).split(',').length, 20);
    const vowels = await rt.call<PluginResponse>('handleRequest', [req('POST', '/recommendations/vowels', { body: 'hello world' })]);
    assert.deepEqual(JSON.parse(vowels.body as string), { count: 3, total: 3, vowels: 'aeiouAEIOU' });
    assert.deepEqual(await rt.call('healthCheck'), { status: 'healthy' });
    assert.ok(h.logs.some((l) => l.msg === 'activity recorded for u1' && l.plugin_id === 'ai-recommendations'));
  } finally {
    await rt.dispose();
  }
});

test('examples/version-policy (worker, npm dependency) serves its endpoints on 2 instances', async () => {
  const { manifest, entryPath } = await load('version-policy');
  assert.equal(manifest!.runtime.instances, 2);
  const h = harness(manifest!, entryPath, { policy: '^1.2.0' });
  const rt = await createRuntime('worker', h.init);
  await rt.load();
  try {
    await rt.call('init');
    const check = await rt.call<PluginResponse>('handleRequest', [req('GET', '/versions/check', { query: { version: '1.4.2' } })]);
    assert.deepEqual(check.body, { version: '1.4.2', range: '^1.2.0', satisfies: true });
    const latest = await rt.call<PluginResponse>('handleRequest', [req('POST', '/versions/latest', { body: { versions: ['1.2.0', '1.10.0', '2.0.0', '1.9.3'] } })]);
    assert.deepEqual(latest.body, { policy: '^1.2.0', latest: '1.10.0' });
    assert.equal(h.storage.get('last-latest'), '1.10.0');
    assert.equal(h.logs.filter((l) => l.msg === 'version policy ready').length, 2, 'init ran in both instances');
  } finally {
    await rt.dispose();
  }
});
