// A well-behaved plugin called in a loop while a hostile one misbehaves: the isolation check.
import assert from 'node:assert/strict';
import { createWorkerRuntime } from '../../src/runtimes/worker/index.js';
import { createWasmRuntime } from '../../src/runtimes/wasm/index.js';
import type { PluginRuntime } from '../../src/runtimes/types.js';
import { fixture, harness, manifest } from '../runtimes/helpers.js';
import { buildWasm } from './wasm-fixtures.js';

export const request = (path: string, over: Record<string, unknown> = {}) => ({ id: 'r', method: 'POST', path, params: {}, query: {}, headers: {}, context: {}, ...over });

/** A worker plugin and a wasm plugin that answer correctly; both are called throughout `during`. */
export async function withNeighbours<T>(during: () => Promise<T>): Promise<T> {
  const w = harness(manifest({ id: 'neighbour-worker' }), fixture('basic.ts'));
  const worker: PluginRuntime = createWorkerRuntime(w.init);
  const echo = await buildWasm('echo');
  const m = manifest({ id: 'neighbour-wasm', runtime: { type: 'wasm', instances: 1 }, endpoints: [{ path: '/echo', method: 'POST', auth: 'none', roles: [], permissions: [], function: 'echo' }] });
  const wasm: PluginRuntime = createWasmRuntime(harness(m, echo).init);
  await Promise.all([worker.load(), wasm.load()]);
  let ok = 0;
  const failures: unknown[] = [];
  let stop = false;
  const loop = (async () => {
    while (!stop) {
      try {
        const [a, b] = await Promise.all([
          worker.call<{ statusCode: number }>('handleRequest', [request('/echo', { body: { n: ok } })]),
          wasm.call<{ body: string }>('handleRequest', [request('/echo', { body: `ping ${ok}` })]),
        ]);
        assert.equal(a.statusCode, 200);
        assert.equal(b.body, `ping ${ok}`);
        ok++;
      } catch (err) {
        failures.push(err);
      }
      await new Promise((r) => setImmediate(r));
    }
  })();
  try {
    const result = await during();
    // A few more rounds after the attack, so that recovery is covered too.
    const target = ok + 5;
    while (ok < target && failures.length === 0) await new Promise((r) => setTimeout(r, 5));
    return result;
  } finally {
    stop = true;
    await loop;
    await Promise.all([worker.dispose(), wasm.dispose()]);
    assert.deepEqual(failures, [], 'the neighbours never failed');
    assert.ok(ok > 5, `the neighbours kept answering (${ok} rounds)`);
  }
}
