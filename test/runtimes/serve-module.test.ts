// The thread's serve module: bundled once to plain ESM in a checkout (no tsx in the thread for a .js
// plugin), the sibling .js from dist/, and tsx still registered for a TypeScript entry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { serveModule } from '../../src/runtimes/worker/serve-module.js';
import { createWorkerRuntime } from '../../src/runtimes/worker/index.js';
import { fixture, harness, manifest } from './helpers.js';

const workerBase = new URL('../../src/runtimes/worker/index.ts', import.meta.url).href;

test('from a checkout (.ts) the serve module is one bundled .mjs under node_modules/.cache, made once per process', async () => {
  const a = await serveModule(workerBase, 'plugin-worker');
  assert.equal(a.typescript, false);
  assert.match(a.url, /\/node_modules\/\.cache\/plugway-workers\/plugin-worker-[0-9a-f]{16}\.mjs$/);
  assert.equal(serveModule(workerBase, 'plugin-worker'), serveModule(workerBase, 'plugin-worker'), 'memoized');
  const code = await readFile(fileURLToPath(a.url), 'utf8');
  assert.doesNotMatch(code, /from ['"]\.{1,2}\//, 'relative imports are bundled in');
  assert.match(code, /WorkerSide = class|class WorkerSide/);
});

test('from dist (.js) the serve module is the sibling .js', async () => {
  const m = await serveModule('file:///opt/plugway/dist/runtimes/worker/index.js', 'plugin-worker');
  assert.deepEqual(m, { url: 'file:///opt/plugway/dist/runtimes/worker/plugin-worker.js', typescript: false });
});

test('a .mjs worker plugin starts without tsx in its thread; a .ts one still gets it', async () => {
  const js = createWorkerRuntime(harness(manifest({ id: 'factory' }), fixture('factory.mjs'), { greeting: 'hey' }).init);
  const ts = createWorkerRuntime(harness(manifest({ id: 'basic' }), fixture('basic.ts')).init);
  try {
    await js.load();
    await ts.load();
    const opts = (rt: unknown) => (rt as { opts: { serveModule: string; tsx?: { esm: string; cjs: string } } }).opts;
    assert.equal(opts(js).tsx, undefined);
    assert.match(opts(js).serveModule, /\.mjs$/);
    assert.ok(opts(ts).tsx?.esm && opts(ts).tsx?.cjs, 'a TypeScript entry needs tsx (both hooks)');
    const res = await js.call<{ statusCode: number; body: { greeting: string } }>('handleRequest', [{ id: 'r1', method: 'GET', path: '/x', params: {}, query: {}, headers: {}, context: {} }]);
    assert.equal(res.body.greeting, 'hey');
  } finally {
    await js.dispose();
    await ts.dispose();
  }
});
