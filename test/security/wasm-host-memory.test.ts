// Extism's host-side memory: blocks a module allocates through extism:host/env alloc are
// ArrayBuffers outside its linear memory and outside V8's heap limit. They are capped by
// resources.memory: past it the call fails with a code, the process stays small, neighbours answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createWasmRuntime } from '../../src/runtimes/wasm/index.js';
import type { PluginManifest } from '../../src/manifest/types.js';
import type { PluginMetrics } from '../../src/sdk/types.js';
import { harness, manifest } from '../runtimes/helpers.js';
import { buildWasm } from './wasm-fixtures.js';
import { request, withNeighbours } from './neighbour.js';

const fast = { backoffBaseMs: 20, backoffMaxMs: 200, giveBackGraceMs: 100 };

function hostAllocManifest(memory: number): PluginManifest {
  const raw = (fn: string) => ({ path: `/${fn}`, method: 'POST' as const, auth: 'none' as const, roles: [], permissions: [], function: fn });
  return manifest({
    id: 'host-alloc-wasm',
    runtime: { type: 'wasm', instances: 1 },
    resources: { memory },
    endpoints: [raw('huge_block'), raw('churn'), { path: '/keep', method: 'POST', auth: 'none', roles: [], permissions: [] }],
  });
}

/** Samples the process RSS every 10 ms while `fn` runs; returns the peak growth over the start. */
async function peakRssGrowth(fn: () => Promise<void>): Promise<number> {
  const start = process.memoryUsage.rss();
  let peak = start;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 10);
  try {
    await fn();
  } finally {
    clearInterval(timer);
  }
  return Math.max(peak, process.memoryUsage.rss()) - start;
}

test('Extism host blocks are capped by resources.memory: the call fails with a code, RSS stays bounded, neighbours keep answering', async () => {
  const h = harness(hostAllocManifest(8), await buildWasm('hostAlloc'));
  const rt = createWasmRuntime(h.init, fast);
  await rt.load();
  try {
    const growth = await peakRssGrowth(() =>
      withNeighbours(async () => {
        // Keeps 1 MiB blocks (up to 1 GiB without a cap): stopped at 8 MB.
        await assert.rejects(
          rt.call('handleRequest', [request('/keep')], { deadline: Date.now() + 20_000 }),
          (e: Error & { code: string }) => e.code === 'PLW_ERR_WASM_HOST_MEMORY_LIMIT' && /8 MB/.test(e.message),
        );
        const ev = await h.nextEvent('runtime.wasm_host_memory_limit');
        assert.equal(ev.data.limitMb, 8);
        // One 1 GiB block: refused before it is allocated.
        await assert.rejects(rt.call('handleRequest', [request('/huge_block')], { deadline: Date.now() + 20_000 }), { code: 'PLW_ERR_WASM_HOST_MEMORY_LIMIT' });
        // Blocks the module frees do not count: 64 MiB allocated one at a time passes under 8 MB.
        const ok = await rt.call<{ statusCode: number; body: string }>('handleRequest', [request('/churn')], { deadline: Date.now() + 20_000 });
        assert.equal(ok.body, 'churned');
      }),
    );
    assert.ok(growth < 256 * 1024 * 1024, `the process grew by ${Math.round(growth / 1048576)} MB (a module kept 1 GiB of blocks before the cap)`);
    // Failed calls, not a dead thread: no crash, no restart.
    assert.deepEqual(
      h.events.filter((e) => e.type.startsWith('runtime.worker_')),
      [],
    );
  } finally {
    await rt.dispose();
  }
});

test('the wasm thread has its own V8 heap limit (not the ~4 GB default)', async () => {
  const h = harness(hostAllocManifest(8), await buildWasm('hostAlloc'));
  const rt = createWasmRuntime(h.init, fast);
  await rt.load();
  try {
    const usage = (await rt.resourceUsage()) as PluginMetrics & { instances: Array<{ heapLimitMb: number }> };
    const limit = usage.instances[0]!.heapLimitMb;
    assert.ok(limit > 0 && limit < 512, `heap limit ${limit} MB`);
  } finally {
    await rt.dispose();
  }
});
