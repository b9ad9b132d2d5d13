// A plugin that never finishes loading (a loop in a wasm start function, or at the top level of a
// worker entry) is ended at its load timeout, derived from resources.timeout, not after a fixed 30 s.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createWasmRuntime } from '../../src/runtimes/wasm/index.js';
import { createWorkerRuntime } from '../../src/runtimes/worker/index.js';
import { DEFAULT_LOAD_TIMEOUT_MS, MIN_LOAD_TIMEOUT_MS, loadTimeoutMs } from '../../src/runtimes/isolated-runtime.js';
import type { PluginRuntime } from '../../src/runtimes/types.js';
import { harness, manifest } from '../runtimes/helpers.js';
import { buildWasm } from './wasm-fixtures.js';
import { withNeighbours } from './neighbour.js';

const topLevelLoop = new URL('./fixtures/top-level-loop.mjs', import.meta.url).pathname;

async function loadFails(rt: PluginRuntime, timeoutMs: number): Promise<void> {
  const t0 = Date.now();
  await assert.rejects(rt.load(), (e: Error & { code: string }) => e.code === 'PLW_ERR_PLUGIN_LOAD_TIMEOUT' && e.message.includes(`${timeoutMs} ms`));
  const took = Date.now() - t0;
  assert.ok(took >= timeoutMs - 50 && took < timeoutMs + 5000, `load ended after ${took} ms (limit ${timeoutMs} ms)`);
  await rt.dispose();
}

test('the load timeout: resources.timeout, at least 10 s; 10 s when unset', () => {
  assert.equal(loadTimeoutMs({}), DEFAULT_LOAD_TIMEOUT_MS);
  assert.equal(DEFAULT_LOAD_TIMEOUT_MS, 10_000);
  assert.equal(loadTimeoutMs({ timeoutMs: 1000 }), MIN_LOAD_TIMEOUT_MS);
  assert.equal(loadTimeoutMs({ timeoutMs: 15_000 }), 15_000);
});

test('a wasm start function that loops: load fails at resources.timeout with PLW_ERR_PLUGIN_LOAD_TIMEOUT, neighbours keep answering', async () => {
  const m = manifest({ id: 'start-loop-wasm', runtime: { type: 'wasm', instances: 1 }, resources: { timeoutMs: 11_000 } });
  const rt = createWasmRuntime(harness(m, await buildWasm('startLoop')).init);
  await withNeighbours(() => loadFails(rt, 11_000));
});

test('a worker entry that loops at its top level: load fails at the default 10 s with PLW_ERR_PLUGIN_LOAD_TIMEOUT', async () => {
  const rt = createWorkerRuntime(harness(manifest({ id: 'top-level-loop' }), topLevelLoop).init);
  await loadFails(rt, 10_000);
});
