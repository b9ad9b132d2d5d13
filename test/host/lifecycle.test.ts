// Host lifecycle with real plugin folders on disk: order, deadlines, failures, dependents, retry,
// parallel levels, reverse stop, dependency errors, max_plugins, broken imports, serialization.
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { createHost } from '../../src/host/index.js';
import type { StateChange } from '../../src/host/types.js';
import { nextEvent, recordingPlugin, silent, tempDir, testConfig, writePlugin } from './helpers.js';

const ok = (id: string) => `export default { handleRequest() { return { statusCode: 200, body: '${id}' }; } };\n`;

test('states go unloaded → loaded → initialized → running → stopping → stopped, each an event and a hook', async () => {
  const root = await tempDir();
  await writePlugin(root, 'alpha', recordingPlugin('alpha'));
  const host = createHost({ config: testConfig(), logger: silent, pluginDirs: [root] });
  const changes: string[] = [];
  const hooked: string[] = [];
  host.events.on<StateChange>('plugin.state_changed', (e) => void changes.push(`${e.data.from}→${e.data.to}`));
  host.hooks.add('lifecycle.running', (c: StateChange) => void hooked.push(c.id));
  await host.start();
  await host.stop();
  assert.deepEqual(changes, ['unloaded→loaded', 'loaded→initialized', 'initialized→running', 'running→stopping', 'stopping→stopped']);
  assert.deepEqual(hooked, ['alpha']);
});

test('an illegal transition is refused with a code', async () => {
  const host = createHost({ config: testConfig(), logger: silent });
  host.registerBuiltin('p', { handleRequest: () => ({ statusCode: 200 }) });
  await host.start();
  await assert.rejects(host.retry('p'), { code: 'PLW_ERR_ILLEGAL_TRANSITION' });
});

test('a throwing init and a hanging start fail alone with coded reasons; dependents fail; others run', async () => {
  const root = await tempDir();
  await writePlugin(root, 'thrower', `export default { init() { throw new Error('no db'); }, handleRequest() {} };`);
  await writePlugin(root, 'hanger', `export default { start() { return new Promise(() => {}); }, handleRequest() {} };`, 'resources:\n  timeout: 50ms\n');
  await writePlugin(root, 'needs-thrower', ok('n'), 'requires: ["thrower"]\n');
  await writePlugin(root, 'fine', ok('fine'));
  const host = createHost({ config: testConfig(), logger: silent, pluginDirs: [root] });
  const report = await host.start();
  assert.deepEqual(report.running, ['fine']);
  assert.equal(host.get('thrower')!.error!.code, 'PLW_ERR_LIFECYCLE_FAILED');
  assert.match(host.get('thrower')!.error!.message, /init failed: no db/);
  assert.equal(host.get('hanger')!.error!.code, 'PLW_ERR_LIFECYCLE_TIMEOUT');
  assert.equal(host.get('needs-thrower')!.error!.code, 'PLW_ERR_DEPENDENCY_FAILED');
  assert.match(host.get('needs-thrower')!.error!.message, /dependency thrower failed/);
  assert.deepEqual(await host.call('fine', 'handleRequest', [{}]), { statusCode: 200, body: 'fine' });
  await host.stop();
});

test('retry re-runs a failed plugin, then its failed dependents', async () => {
  const root = await tempDir();
  await writePlugin(root, 'flaky', `let n = 0; export default { init() { if (globalThis.__flakyBroken) throw new Error('still broken'); }, handleRequest() {} };`);
  await writePlugin(root, 'user', ok('user'), 'requires: ["flaky >= 1.0.0"]\n');
  (globalThis as any).__flakyBroken = true;
  const host = createHost({ config: testConfig(), logger: silent, pluginDirs: [root] });
  await host.start();
  assert.equal(host.get('user')!.state, 'failed');
  (globalThis as any).__flakyBroken = false;
  await host.retry('flaky');
  assert.equal(host.get('flaky')!.state, 'running');
  assert.equal(host.get('user')!.state, 'running');
  assert.equal(host.get('flaky')!.error, undefined);
  await host.stop();
});

test('independent plugins start in parallel by level; stop runs in reverse', async () => {
  const root = await tempDir();
  // Each of a and b waits in start() until both have entered start(): sequential starts would time out.
  const barrier = (id: string) => `const g = (globalThis.__barrier ??= { n: 0, waiters: [] });
const log = (globalThis.__order ??= []);
export default {
  async start() {
    log.push('start:${id}');
    g.n++;
    if (g.n === 2) g.waiters.forEach((w) => w()); else await new Promise((r) => g.waiters.push(r));
  },
  stop() { log.push('stop:${id}'); },
  handleRequest() {},
};`;
  await writePlugin(root, 'a', barrier('a'), 'resources:\n  timeout: 1s\n');
  await writePlugin(root, 'b', barrier('b'), 'resources:\n  timeout: 1s\n');
  await writePlugin(
    root,
    'c',
    `const log = (globalThis.__order ??= []); export default { start() { log.push('start:c'); }, stop() { log.push('stop:c'); }, handleRequest() {} };`,
    'dependencies:\n  - plugin: a\n  - plugin: b\n    version: ">=1.0.0"\n',
  );
  const host = createHost({ config: testConfig(), logger: silent, pluginDirs: [root] });
  const report = await host.start();
  assert.deepEqual(report.running.sort(), ['a', 'b', 'c']);
  const order = (globalThis as any).__order as string[];
  assert.equal(order.indexOf('start:c'), 2, `c starts after a and b: ${order}`);
  await host.stop();
  assert.equal(order[3], 'stop:c', `c stops first: ${order}`);
  assert.deepEqual(order.slice(4).sort(), ['stop:a', 'stop:b']);
  assert.deepEqual(host.dependentsOf('a'), ['c']);
});

test('dependency errors: cycle path, missing, version mismatch, optional absent; registration order irrelevant', async () => {
  const host = createHost({ config: testConfig(), logger: silent });
  const h = { handleRequest: () => ({ statusCode: 200 }) };
  // dependents registered before what they depend on
  host.registerBuiltin('late-user', h, { dependencies: [{ id: 'base', range: '^2.0.0', optional: false }] });
  host.registerBuiltin('base', h, { version: '2.1.0' });
  host.registerBuiltin('x', h, { dependencies: [{ id: 'y', range: '*', optional: false }] });
  host.registerBuiltin('y', h, { dependencies: [{ id: 'z', range: '*', optional: false }] });
  host.registerBuiltin('z', h, { dependencies: [{ id: 'x', range: '*', optional: false }] });
  host.registerBuiltin('lonely', h, { dependencies: [{ id: 'ghost', range: '>=1', optional: false }] });
  host.registerBuiltin('picky', h, { dependencies: [{ id: 'base', range: '^3.0.0', optional: false }] });
  host.registerBuiltin('relaxed', h, { dependencies: [{ id: 'ghost', range: '*', optional: true }] });
  const report = await host.start();
  assert.deepEqual(report.running.sort(), ['base', 'late-user', 'relaxed']);
  const err = (id: string) => host.get(id)!.error!;
  assert.equal(err('x').code, 'PLW_ERR_DEPENDENCY_CYCLE');
  assert.match(err('x').message, /x → y → z → x/);
  assert.equal(err('lonely').code, 'PLW_ERR_DEPENDENCY_MISSING');
  assert.equal(err('picky').code, 'PLW_ERR_DEPENDENCY_VERSION');
});

test('max_plugins caps registration; a module throwing at import fails alone; a bad manifest is listed as failed', async () => {
  const root = await tempDir();
  await writePlugin(root, 'good', ok('good'));
  await writePlugin(root, 'explodes', `throw new Error('import-time kaboom');`);
  await writePlugin(root, 'bad-manifest', ok('x'), 'kind: handlr\n');
  await writeFile(join(root, 'solo.yaml'), 'id: solo\nname: solo\nversion: 1.0.0\nkind: handler\n');
  await writeFile(join(root, 'solo.mjs'), ok('solo'));
  const host = createHost({ config: testConfig(), logger: silent, pluginDirs: [root] });
  const report = await host.start();
  assert.deepEqual(report.running.sort(), ['good', 'solo']);
  assert.equal(host.get('explodes')!.error!.code, 'PLW_ERR_PLUGIN_IMPORT_FAILED');
  assert.match(host.get('explodes')!.error!.message, /import-time kaboom/);
  const bad = host
    .list({ state: 'failed' })
    .map((p) => p.id)
    .sort();
  assert.deepEqual(bad, ['bad-manifest', 'explodes']);
  assert.match(host.get('bad-manifest')!.error!.message, /plugin\.yaml:\d+:\d+/);

  const capped = createHost({ config: testConfig({ maxPlugins: 1 }), logger: silent });
  capped.registerBuiltin('one', { handleRequest() {} });
  assert.throws(() => capped.registerBuiltin('two', { handleRequest() {} }), { code: 'PLW_ERR_MAX_PLUGINS' });
  assert.throws(() => capped.registerBuiltin('one', { handleRequest() {} }), { code: 'PLW_ERR_PLUGIN_DUPLICATE' });
  await host.stop();
});

test('concurrent lifecycle operations on one plugin are serialized', async () => {
  const host = createHost({ config: testConfig(), logger: silent });
  let active = 0;
  let maxActive = 0;
  const step = async () => {
    active++;
    maxActive = Math.max(maxActive, active);
    await new Promise((r) => setImmediate(r));
    active--;
  };
  host.registerBuiltin('serial', { start: step, stop: step, handleRequest() {} });
  await host.start();
  await Promise.all([host.stopPlugin('serial'), host.startPlugin('serial'), host.stopPlugin('serial'), host.startPlugin('serial')]);
  assert.equal(maxActive, 1);
  assert.equal(host.get('serial')!.state, 'running');
});

test('config validation errors name the plugin and the field', async () => {
  const root = await tempDir();
  await writePlugin(root, 'typed', ok('typed'), 'config_schema:\n  type: object\n  properties:\n    port: { type: integer }\n');
  const host = createHost({ config: testConfig({}, { typed: { config: { port: 'eighty' } } }), logger: silent, pluginDirs: [root] });
  const report = await host.start();
  const f = report.failed.find((x) => x.id === 'typed')!;
  assert.equal(f.code, 'PLW_ERR_PLUGIN_CONFIG_INVALID');
  assert.match(f.message, /typed/);
  assert.match(f.message, /port/);
});

test('a plugin throwing from a setTimeout fails itself (and its dependents); the process survives', async () => {
  const root = await tempDir();
  await writePlugin(root, 'ticker', `export default { start() { setTimeout(() => { throw new Error('tick exploded'); }, 5); }, handleRequest() {} };`);
  await writePlugin(root, 'listener', ok('l'), 'requires: ["ticker"]\n');
  const host = createHost({ config: testConfig(), logger: silent, pluginDirs: [root] });
  const failed = nextEvent<StateChange>(host, 'plugin.state_changed', (c) => c.id === 'listener' && c.to === 'failed');
  await host.start();
  await failed;
  assert.equal(host.get('ticker')!.error!.code, 'PLW_ERR_ASYNC_ERROR');
  assert.match(host.get('ticker')!.error!.message, /tick exploded/);
  assert.match(host.get('listener')!.error!.message, /dependency ticker failed/);
});
