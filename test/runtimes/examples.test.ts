// The isolated-runtime examples, loaded from their own plugin.yaml as the host would load them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
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
