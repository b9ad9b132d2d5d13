// Hot swap beyond in-process: a worker plugin swapped twice under light concurrent load with zero failed
// requests and zero connection errors, and a reload of a wasm plugin (modules built from WAT with wabt
// during the test; nothing binary is committed).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { request } from 'undici';
import wabtInit from 'wabt';
import { startStack, swapConfig, tmp, writeVersion } from './helpers.js';
import { startLoad } from './load.js';

test('worker runtime: two swaps under light concurrent load, zero failed requests and zero connection errors', async (t) => {
  const root = await tmp('plugins');
  await writeVersion(root, 'wk', { version: '1.0.0', runtime: 'worker' });
  const s = await startStack(root, { config: swapConfig((c) => (c.reload.watchWindowMs = 0)) });
  t.after(() => s.close());
  const load = startLoad(s.url, '/wk', { concurrency: 3, maxRequests: 6000, maxMs: 45_000 });
  try {
    await load.waitFor('1.0.0', 100);
    for (const version of ['2.0.0', '3.0.0']) {
      await writeVersion(root, 'wk', { version, runtime: 'worker' });
      const r = await s.admin('POST', '/plugins/wk/reload');
      assert.equal(r.status, 200, JSON.stringify(r.json));
      assert.equal(r.json.version, version);
      assert.equal(s.host.get('wk')!.manifest.runtime.type, 'worker');
      await load.waitFor(version, 100);
    }
  } finally {
    await load.stop();
  }
  const c = load.counts;
  t.diagnostic(`requests ${c.total}, by version ${JSON.stringify([...c.byVersion])}, connection errors ${c.connectionErrors}`);
  assert.deepEqual([...c.failedByVersion], [], c.errors.join('\n'));
  assert.equal(c.connectionErrors, 0, c.errors.join('\n'));
  assert.ok((c.byVersion.get('2.0.0') ?? 0) >= 100 && (c.byVersion.get('3.0.0') ?? 0) >= 100);
  // Only the serving version is left: the old workers were stopped and dropped.
  assert.deepEqual(
    s.host.list().map((p) => p.version),
    ['3.0.0'],
  );
});

/** A wasm module whose handle_request answers {"statusCode":200,"body":{"version":…}} (copied from a data segment into an Extism block). */
async function wasmAnswering(version: string): Promise<Uint8Array> {
  const json = JSON.stringify({ statusCode: 200, body: { version } });
  const wat = `(module
    (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
    (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
    (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
    (memory (export "memory") 1)
    (data (i32.const 0) "${json.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}")
    (func (export "handle_request") (result i32) (local $off i64) (local $i i32)
      (local.set $off (call $alloc (i64.const ${json.length})))
      (block $done (loop $next
        (br_if $done (i32.ge_u (local.get $i) (i32.const ${json.length})))
        (call $store_u8 (i64.add (local.get $off) (i64.extend_i32_u (local.get $i))) (i32.load8_u (local.get $i)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
      (call $output_set (local.get $off) (i64.const ${json.length}))
      (i32.const 0)))`;
  const wabt = await wabtInit();
  const mod = wabt.parseWat(`answer-${version}.wat`, wat);
  try {
    return new Uint8Array(mod.toBinary({}).buffer);
  } finally {
    mod.destroy();
  }
}

async function writeWasmVersion(root: string, id: string, version: string): Promise<void> {
  const dir = join(root, id);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'plugin.wasm'), await wasmAnswering(version));
  await writeFile(join(dir, 'plugin.yaml'), `id: ${id}\nname: ${id}\nversion: ${version}\nkind: handler\nruntime:\n  type: wasm\nendpoints:\n  - path: /${id}\n    method: GET\n    auth: none\n`);
}

test('wasm runtime: a reload brings the new module up beside the old one and switches to it', async (t) => {
  const root = await tmp('plugins');
  await writeWasmVersion(root, 'wa', '1.0.0');
  const s = await startStack(root, { config: swapConfig((c) => (c.reload.watchWindowMs = 0)) });
  t.after(() => s.close());
  const versionAt = async () => {
    const r = await request(`${s.url}/wa`);
    const text = await r.body.text();
    assert.equal(r.statusCode, 200, text);
    return (JSON.parse(text) as { version: string }).version;
  };
  assert.equal(await versionAt(), '1.0.0');
  await writeWasmVersion(root, 'wa', '2.0.0');
  const r = await s.admin('POST', '/plugins/wa/reload');
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.deepEqual([r.json.version, r.json.unchanged], ['2.0.0', false]);
  assert.equal(s.host.get('wa')!.manifest.runtime.type, 'wasm');
  assert.equal(await versionAt(), '2.0.0');
  const v = (await s.admin('GET', '/plugins/wa/versions')).json;
  assert.deepEqual(
    v.versions.map((x: { version: string }) => x.version),
    ['2.0.0', '1.0.0'],
  );
  assert.ok(v.versions[0].files.includes('plugin.wasm'));
});
