// Attribution by stack frame: which registered plugin folder a stack's innermost plugin frame is in.
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { registerPluginFiles, scopeFromStack, type PluginScope } from './async-errors.js';

const scope = (pluginKey: string): PluginScope => ({ pluginKey, onAsyncError() {} });
const base = resolve('/tmp', `plw-stack-${process.pid}-${Date.now()}`);
const url = (p: string) => pathToFileURL(p).href;
const stack = (...frames: string[]) => ['Error: boom', ...frames.map((f) => `    at ${f}`)].join('\n');

test('a frame in a plugin folder names it: paths and file URLs, named and anonymous frames, async frames', () => {
  const dir = join(base, 'alpha');
  const h = registerPluginFiles(dir, scope('alpha@1.0.0'));
  h.loaded(url(join(dir, 'index.mjs')));
  const key = (s: string) => scopeFromStack(s)?.pluginKey;
  assert.equal(key(stack(`Timeout._onTimeout (${join(dir, 'index.mjs')}:3:11)`, 'listOnTimeout (node:internal/timers:573:17)')), 'alpha@1.0.0');
  assert.equal(key(stack(`${url(join(dir, 'lib', 'x.js'))}:1:7`)), 'alpha@1.0.0');
  assert.equal(key(stack('process.processTicksAndRejections (node:internal/process/task_queues:95:5)', `async handle (${url(join(dir, 'index.mjs'))}:9:3)`)), 'alpha@1.0.0');
  // the innermost plugin frame wins over library frames above it
  assert.equal(key(stack(`Socket.emit (node:events:517:28)`, `Client.query (${join(dir, 'node_modules', 'pg', 'lib', 'client.js')}:5:1)`)), 'alpha@1.0.0');
  // not in any plugin folder; a sibling folder whose name starts the same is not inside it
  assert.equal(key(stack('listOnTimeout (node:internal/timers:573:17)', `x (${join(base, 'alphabet', 'index.mjs')}:1:1)`)), undefined);
  assert.equal(key(stack(`eval (eval at <anonymous> (${join(base, 'other.js')}:1:1), <anonymous>:1:1)`)), undefined);
  assert.equal(scopeFromStack(undefined), undefined);
  assert.equal(scopeFromStack(42), undefined);
  h.dispose();
});

test("versions loaded from one folder: the frame's ?v=<n> picks the version, else the newest live one; unloaded ones stay attributable", () => {
  const dir = join(base, 'beta');
  const entry = join(dir, 'index.mjs');
  const v1 = registerPluginFiles(dir, scope('beta@1.0.0'));
  v1.loaded(url(entry));
  const v2 = registerPluginFiles(dir, scope('beta@2.0.0'));
  v2.loaded(`${url(entry)}?v=2`);
  const key = (s: string) => scopeFromStack(s)?.pluginKey;
  assert.equal(key(stack(`tick (${url(entry)}:2:9)`)), 'beta@1.0.0');
  assert.equal(key(stack(`tick (${url(entry)}?v=2:2:9)`)), 'beta@2.0.0');
  assert.equal(key(stack(`helper (${url(join(dir, 'helper.mjs'))}:2:9)`)), 'beta@2.0.0');
  v2.dispose();
  assert.equal(key(stack(`helper (${url(join(dir, 'helper.mjs'))}:2:9)`)), 'beta@1.0.0', 'the live version, not the unloaded one');
  assert.equal(key(stack(`tick (${url(entry)}?v=2:2:9)`)), 'beta@2.0.0', 'a late timer of the unloaded version is still its own');
  v1.dispose();
  assert.equal(key(stack(`helper (${url(join(dir, 'helper.mjs'))}:2:9)`)), 'beta@2.0.0', 'all unloaded: the newest');
});

test('a plugin folder inside another: the deeper one names the frame', () => {
  const outer = join(base, 'outer');
  const inner = join(outer, 'plugins', 'inner');
  const a = registerPluginFiles(outer, scope('outer@1.0.0'));
  const b = registerPluginFiles(inner, scope('inner@1.0.0'));
  assert.equal(scopeFromStack(stack(`f (${join(inner, 'index.mjs')}:1:1)`))?.pluginKey, 'inner@1.0.0');
  assert.equal(scopeFromStack(stack(`f (${join(outer, 'index.mjs')}:1:1)`))?.pluginKey, 'outer@1.0.0');
  a.dispose();
  b.dispose();
});

test("plugway's own code never names a plugin, even one loaded from a folder above it", () => {
  const own = resolve(import.meta.dirname, '..', '..');
  const h = registerPluginFiles(resolve(own, '..'), scope('parent@1.0.0'));
  assert.equal(scopeFromStack(stack(`handle (${join(own, 'gateway', 'pipeline.ts')}:10:1)`)), undefined);
  h.dispose();
});
