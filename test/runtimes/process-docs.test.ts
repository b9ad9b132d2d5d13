// The Python examples of docs/process-abi.md, run as plugins in the process runtime.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createProcessRuntime } from '../../src/runtimes/process/index.js';
import type { PluginResponse } from '../../src/sdk/types.js';
import { binarySkip } from '../helpers/services.js';
import { harness, manifest } from './helpers.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const skip = binarySkip('bwrap', 'bubblewrap');
const req = (over: Record<string, unknown> = {}) => ({ id: 'r', method: 'GET', path: '/', params: {}, query: {}, headers: {}, context: {}, ...over });

async function pythonBlocks(): Promise<string[]> {
  const text = await readFile(join(ROOT, 'docs/process-abi.md'), 'utf8');
  return [...text.matchAll(/```python\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

async function load(source: string, kind: 'handler' | 'auth', config: Record<string, unknown> = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'plugway-doc-py-'));
  await writeFile(join(dir, 'plugin.py'), source);
  const h = harness(manifest({ id: 'doc-example', kind, runtime: { type: 'process', instances: 1 } }), join(dir, 'plugin.py'), config, { pluginDir: dir });
  const rt = createProcessRuntime(h.init);
  await rt.load();
  return { h, rt };
}

test('docs/process-abi.md: its Python examples load and answer', { skip }, async () => {
  const [handler, auth, ...rest] = await pythonBlocks();
  assert.ok(handler && auth && rest.length === 0, 'two python blocks');
  const a = await load(handler, 'handler');
  try {
    const res = await a.rt.call<PluginResponse>('handleRequest', [req({ query: { name: 'Ada' } })]);
    assert.deepEqual(res, { statusCode: 200, body: { hello: 'Ada', count: 1 } });
    assert.deepEqual(await a.rt.call('healthCheck'), { status: 'healthy' });
    assert.ok(a.h.logs.some((l) => l.msg === 'counted' && l.count === 1));
  } finally {
    await a.rt.dispose();
  }
  const b = await load(auth, 'auth', { keys: { k1: 'ada' } });
  try {
    await b.rt.call('init');
    assert.deepEqual(await b.rt.call('authenticate', [req({ headers: { 'x-api-key': 'k1' } })]), { id: 'ada', roles: ['client'] });
    assert.equal(await b.rt.call('authenticate', [req()]), null);
    assert.equal(await b.rt.call('authorize', [{ id: 'ada' }, 'orders', 'read']), true);
    await assert.rejects(b.rt.call('authorize', [{ id: 'ada' }, 'orders', 'delete']), { code: 'PLW_ERR_FORBIDDEN' });
  } finally {
    await b.rt.dispose();
  }
});
