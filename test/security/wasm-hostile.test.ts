// Hostile wasm plugins: loops, memory bombs, huge declarations, network and filesystem grabs and
// huge outputs are each contained with a coded error, while the neighbours keep answering.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createWasmRuntime } from '../../src/runtimes/wasm/index.js';
import type { PluginManifest } from '../../src/manifest/types.js';
import type { PluginRuntime } from '../../src/runtimes/types.js';
import { harness, manifest } from '../runtimes/helpers.js';
import type { Harness } from '../runtimes/helpers.js';
import { buildWasm } from './wasm-fixtures.js';
import type { WAT } from './wasm-fixtures.js';
import { request, withNeighbours } from './neighbour.js';

const fast = { backoffBaseMs: 20, backoffMaxMs: 200, giveBackGraceMs: 100 };

function wasmManifest(over: Partial<PluginManifest> = {}): PluginManifest {
  return manifest({ id: 'hostile-wasm', runtime: { type: 'wasm', instances: 1 }, ...over });
}

async function withHostile(name: keyof typeof WAT, m: PluginManifest, fn: (rt: PluginRuntime, h: Harness) => Promise<void>): Promise<void> {
  const h = harness(m, await buildWasm(name));
  const rt = createWasmRuntime(h.init, fast);
  await rt.load();
  try {
    await withNeighbours(() => fn(rt, h));
  } finally {
    await rt.dispose();
  }
}

test('an infinite loop in wasm: deadline holds, the thread is terminated and restarted', async () => {
  await withHostile('spin', wasmManifest(), async (rt, h) => {
    await assert.rejects(rt.call('handleRequest', [request('/x')], { deadline: Date.now() + 100 }), { code: 'PLW_ERR_PLUGIN_TIMEOUT' });
    assert.equal((await h.nextEvent('runtime.worker_terminated')).data.code, 'PLW_ERR_WORKER_TERMINATED');
    await h.nextEvent('runtime.worker_restarted');
  });
});

test('a linear-memory bomb stops at resources.memory: the call fails, not the process', async () => {
  const rssBefore = process.memoryUsage().rss;
  await withHostile('memoryBomb', wasmManifest({ resources: { memory: 16 } }), async (rt, h) => {
    await assert.rejects(rt.call('handleRequest', [request('/x')]), (e: Error & { code: string }) => e.code === 'PLW_ERR_WASM_MEMORY_LIMIT' && /16 MB/.test(e.message));
    const ev = await h.nextEvent('runtime.wasm_memory_limit');
    assert.equal(ev.data.limitMb, 16);
    // Without the rewritten maximum the module would have grown to 4 GiB before trapping.
    assert.ok((ev.data.usedMb as number) <= 16, `linear memory stayed under the cap (${ev.data.usedMb} MB)`);
    // Again: the trapped instance is replaced by a fresh one, which hits the same cap.
    await assert.rejects(rt.call('handleRequest', [request('/x')]), { code: 'PLW_ERR_WASM_MEMORY_LIMIT' });
  });
  assert.ok(process.memoryUsage().rss - rssBefore < 512 * 1024 * 1024, 'the process did not grow without bound');
});

test('a module declaring 4 GiB of memory is refused at load (PLW_ERR_WASM_MEMORY_TOO_LARGE)', async () => {
  const h = harness(wasmManifest({ resources: { memory: 64 } }), await buildWasm('fourGiB'));
  const rt = createWasmRuntime(h.init, fast);
  await assert.rejects(rt.load(), (e: Error & { code: string }) => e.code === 'PLW_ERR_WASM_MEMORY_TOO_LARGE' && /4096 MB/.test(e.message) && /64 MB/.test(e.message));
  await rt.dispose();
});

test('a plugin asking for the filesystem is refused (PLW_ERR_WASM_FS_REFUSED)', async () => {
  const h = harness(wasmManifest({ permissions: { network: [], env: [], fs: ['/etc'] } }), await buildWasm('echo'));
  const rt = createWasmRuntime(h.init, fast);
  await assert.rejects(rt.load(), { code: 'PLW_ERR_WASM_FS_REFUSED' });
  await rt.dispose();
});

test('HTTP reaches only granted hosts: 127.0.0.1 on another port is denied (PLW_ERR_WASM_HOST_DENIED)', async () => {
  const server = createServer((req, res) => res.end(`hello from ${req.url}`));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const granted = (server.address() as AddressInfo).port;
  const other = createServer((_req, res) => res.end('should never be reached'));
  await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
  const denied = (other.address() as AddressInfo).port;
  let reachedDenied = false;
  other.on('request', () => (reachedDenied = true));
  try {
    const m = wasmManifest({
      permissions: { network: [`127.0.0.1:${granted}`], env: [], fs: [] },
      endpoints: [{ path: '/fetch', method: 'POST', auth: 'none', roles: [], permissions: [], function: 'fetch' }],
    });
    await withHostile('fetcher', m, async (rt, h) => {
      const ok = await rt.call<{ body: string }>('handleRequest', [request('/fetch', { body: { url: `http://127.0.0.1:${granted}/ping` } })]);
      assert.equal(ok.body, 'hello from /ping');
      await assert.rejects(
        rt.call('handleRequest', [request('/fetch', { body: { url: `http://127.0.0.1:${denied}/steal` } })]),
        (e: Error & { code: string }) => e.code === 'PLW_ERR_WASM_HOST_DENIED' && e.message.includes(`127.0.0.1:${denied}`),
      );
      assert.equal((await h.nextEvent('runtime.wasm_host_denied')).data.host, `127.0.0.1:${denied}`);
    });
    assert.equal(reachedDenied, false);
  } finally {
    server.close();
    other.close();
  }
});

test('a wasm plugin returning 50 MB is refused (PLW_ERR_RESPONSE_TOO_LARGE, limit from maxResponseBytes)', async () => {
  await withHostile('huge', wasmManifest(), async (rt) => {
    await assert.rejects(
      rt.call('handleRequest', [request('/x')], { deadline: Date.now() + 10_000 }),
      (e: Error & { code: string }) => e.code === 'PLW_ERR_RESPONSE_TOO_LARGE' && /52428800/.test(e.message),
    );
  });
  // The limit comes from RuntimeInit.maxResponseBytes (the gateway's gateway.maxResponseBytes).
  const h = harness(
    wasmManifest({ endpoints: [{ path: '/echo', method: 'POST', auth: 'none', roles: [], permissions: [], function: 'echo' }] }),
    await buildWasm('echo'),
    {},
    { maxResponseBytes: 1000 },
  );
  const rt = createWasmRuntime(h.init, fast);
  await rt.load();
  try {
    assert.equal((await rt.call<{ body: string }>('handleRequest', [request('/echo', { body: 'small' })])).body, 'small');
    await assert.rejects(rt.call('handleRequest', [request('/echo', { body: 'y'.repeat(2000) })]), { code: 'PLW_ERR_RESPONSE_TOO_LARGE' });
  } finally {
    await rt.dispose();
  }
});
