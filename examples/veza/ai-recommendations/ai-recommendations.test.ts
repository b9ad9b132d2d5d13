// ai-recommendations (AssemblyScript → wasm): in the wasm runtime by itself, then through a real host
// and gateway, where a recorded listen is the domain event track.played the other Veza plugins count.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { loadManifestFromDir } from '../../../src/manifest/index.js';
import { createRuntime } from '../../../src/runtimes/index.js';
import type { DomainEvent, PluginResponse } from '../../../src/sdk/types.js';
import { http } from '../../../test/gateway/helpers.js';
import { harness } from '../../../test/runtimes/helpers.js';
import { serveVeza, VEZA } from '../test-gateway.js';

const ROOT = join(VEZA, '..', '..');
const req = (method: string, path: string, over: Record<string, unknown> = {}) => ({ id: 'r', method, path, params: {}, query: {}, headers: {}, context: {}, ...over });

test('the wasm runtime serves its endpoints; host functions (storage, events, log) hold under concurrent calls', async () => {
  execFileSync(process.execPath, ['scripts/build-examples.mjs', '--if-needed'], { cwd: ROOT, stdio: 'ignore' });
  const result = await loadManifestFromDir(VEZA + '/ai-recommendations');
  assert.deepEqual(result.errors, []);
  const { manifest, entryPath } = result;
  const h = harness(manifest!, entryPath, { catalog: 't1,t2,t3,t4', limit: 2 });
  const rt = await createRuntime('wasm', h.init);
  await rt.load();
  try {
    assert.ok(rt.implements('handleRequest') && rt.implements('healthCheck'));
    const rec = await rt.call<PluginResponse>('handleRequest', [req('POST', '/recommendations/users/u1/activity', { body: { track: 't1' } })]);
    assert.equal(rec.statusCode, 202);
    assert.equal(h.storage.get('history:u1'), 't1');
    assert.deepEqual(
      h.emitted.map((e) => [e.type, e.data]),
      [['track.played', { user: 'u1', track: 't1' }]],
    );
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

test('through the gateway: a listen is recorded, emitted as track.played, and changes the recommendations', async (t) => {
  execFileSync(process.execPath, ['scripts/build-examples.mjs', '--if-needed'], { cwd: ROOT, stdio: 'ignore' });
  const gw = await serveVeza(['ai-recommendations']);
  t.after(() => gw.close());
  const played: DomainEvent[] = [];
  gw.host.events.on('track.played', (e: DomainEvent) => void played.push(e));
  assert.deepEqual((await http(`${gw.url}/recommendations?user=bob`)).json, { user: 'bob', recommendations: ['t1', 't2', 't3'], heard: 0 });
  const rec = await http(`${gw.url}/recommendations/users/bob/activity`, { method: 'POST', json: { track: 't2' } });
  assert.deepEqual([rec.status, rec.json], [202, { user: 'bob', recorded: 't2' }]);
  assert.deepEqual(
    played.map((e) => [e.source, e.data]),
    [['ai-recommendations', { user: 'bob', track: 't2' }]],
  );
  // plugway.yaml's catalog (t1…t5) and limit (3)
  assert.deepEqual((await http(`${gw.url}/recommendations?user=bob`)).json, { user: 'bob', recommendations: ['t1', 't3', 't4'], heard: 1 });
  assert.equal((await http(`${gw.url}/recommendations/users/bob/activity`, { method: 'POST', json: {} })).status, 400);
});
