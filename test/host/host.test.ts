// Host features with real plugin folders: services, flags, stop signal, events to handleEvent,
// health transitions, reload, enable/disable, call guards, metrics, graceful shutdown on SIGTERM.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createHost } from '../../src/host/index.js';
import { silent, tempDir, testConfig, writePlugin } from './helpers.js';

test('services: a dependency exports an API (object or function of ctx); undeclared ones are refused', async () => {
  const root = await tempDir();
  await writePlugin(root, 'clock', `export default { init(ctx) { this.base = ctx.config.base ?? 40; }, exports(ctx) { return { now: () => 2 + (ctx.config.base ?? 40) }; }, handleRequest() {} };`);
  await writePlugin(
    root,
    'reader',
    `export default {
  handleRequest(req, ctx) {
    const other = (() => { try { ctx.services.get('stranger'); } catch (e) { return e.code; } })();
    return { statusCode: 200, body: { now: ctx.services.get('clock').now(), other, maybe: ctx.services.tryGet('stranger') ?? null } };
  },
};`,
    'requires: ["clock"]\n',
  );
  await writePlugin(root, 'stranger', `export default { exports: { x: 1 }, handleRequest() {} };`);
  const host = createHost({ config: testConfig(), logger: silent, pluginDirs: [root] });
  await host.start();
  const res = await host.call<{ body: unknown }>('reader', 'handleRequest', [{}]);
  assert.deepEqual(res.body, { now: 42, other: 'PLW_ERR_SERVICE_UNAVAILABLE', maybe: null });
  await host.stop();
});

test('flags: manifest defaults overridden by plugins.configs.<id>.flags', async () => {
  const root = await tempDir();
  await writePlugin(
    root,
    'flagged',
    `export default { handleRequest(req, ctx) { return { statusCode: 200, body: ctx.flags.all() }; } };`,
    'feature_flags:\n  - name: beta\n    default: false\n  - name: fast\n    default: true\n',
  );
  const host = createHost({ config: testConfig({}, { flagged: { flags: { beta: true } } }), logger: silent, pluginDirs: [root] });
  await host.start();
  const res = await host.call<{ body: unknown }>('flagged', 'handleRequest', [{}]);
  assert.deepEqual(res.body, { beta: true, fast: true });
  await host.stop();
});

test('the AbortSignal fires on stop; events reach subscribers and running plugins handleEvent', async () => {
  const root = await tempDir();
  await writePlugin(
    root,
    'watcher',
    `export default {
  start(ctx) { ctx.signal.addEventListener('abort', () => { globalThis.__aborted = true; }); ctx.events.on('order.*', (e) => { globalThis.__viaOn = e.source; }); },
  handleEvent(e) { globalThis.__handled = e.type; },
  handleRequest(req, ctx) { return ctx.events.emit('order.placed', { n: 1 }).then(() => ({ statusCode: 202 })); },
};`,
  );
  await writePlugin(
    root,
    'shop',
    `export default { handleEvent(e) { globalThis.__shopSaw = e.source; }, handleRequest(req, ctx) { return ctx.events.emit('order.placed', { n: 1 }).then(() => ({ statusCode: 202 })); } };`,
  );
  const host = createHost({ config: testConfig(), logger: silent, pluginDirs: [root] });
  await host.start();
  await host.call('shop', 'handleRequest', [{}]);
  const g = globalThis as any;
  assert.equal(g.__viaOn, 'shop');
  assert.equal(g.__handled, 'order.placed');
  await host.publish({ type: 'order.shipped', source: 'test', data: {} });
  assert.equal(g.__shopSaw, 'test');
  await host.stopPlugin('watcher');
  assert.equal(g.__aborted, true);
  await host.stop();
});

test('health: consecutive failures → degraded then unhealthy, recovery → healthy; each change is an event', async () => {
  const root = await tempDir();
  await writePlugin(
    root,
    'sick',
    `export default { healthCheck() { if (globalThis.__sick) throw new Error('db down'); return { status: 'healthy' }; }, handleRequest() {} };`,
    'health_check:\n  interval: 1h\n  timeout: 100ms\n',
  );
  const host = createHost({ config: testConfig(), logger: silent, pluginDirs: [root] });
  const changes: string[] = [];
  host.events.on<{ to: string }>('plugin.health_changed', (e) => void changes.push(e.data.to));
  await host.start();
  await host.checkHealth('sick');
  (globalThis as any).__sick = true;
  await host.checkHealth('sick');
  await host.checkHealth('sick');
  await host.checkHealth('sick');
  (globalThis as any).__sick = false;
  await host.checkHealth('sick');
  assert.deepEqual(changes, ['healthy', 'degraded', 'unhealthy', 'healthy']);
  await host.stop();
});

test('reload re-imports from disk; a broken new version restores the old and throws PLW_ERR_RELOAD_FAILED', async () => {
  const root = await tempDir();
  const dir = await writePlugin(root, 'hot', `export default { handleRequest() { return { statusCode: 200, body: 'v1' }; } };`);
  const host = createHost({ config: testConfig(), logger: silent, pluginDirs: [root] });
  await host.start();
  await writeFile(join(dir, 'index.mjs'), `export default { handleRequest() { return { statusCode: 200, body: 'v2' }; } };`);
  await host.reload('hot');
  assert.equal((await host.call<{ body: string }>('hot', 'handleRequest', [{}])).body, 'v2');
  await writeFile(join(dir, 'index.mjs'), `export default { init() { throw new Error('v3 is broken'); }, handleRequest() {} };`);
  await assert.rejects(host.reload('hot'), { code: 'PLW_ERR_RELOAD_FAILED' });
  assert.equal(host.get('hot')!.state, 'running');
  assert.equal((await host.call<{ body: string }>('hot', 'handleRequest', [{}])).body, 'v2');
  await host.stop();
});

test('enable/disable and call guards; metrics and info', async () => {
  const host = createHost({ config: testConfig({}, { off: { enabled: false } }), logger: silent });
  host.registerBuiltin('svc', { handleRequest: () => ({ statusCode: 200 }), metrics: () => ({ cacheHits: 3 }) });
  host.registerBuiltin('off', { handleRequest: () => ({ statusCode: 200 }) });
  const report = await host.start();
  assert.deepEqual(report.running, ['svc']);
  await assert.rejects(host.call('off', 'handleRequest', [{}]), { code: 'PLW_ERR_PLUGIN_DISABLED' });
  await host.enable('off');
  assert.equal(host.get('off')!.state, 'running');
  await host.disable('svc');
  assert.equal(host.isEnabled('svc'), false);
  await assert.rejects(host.call('svc', 'handleRequest', [{}]), { code: 'PLW_ERR_PLUGIN_DISABLED' });
  await host.enable('svc');
  await host.call('svc', 'handleRequest', [{}]);
  await host.stopPlugin('off');
  await assert.rejects(host.call('off', 'handleRequest', [{}]), { code: 'PLW_ERR_PLUGIN_NOT_RUNNING' });
  const m = await host.metrics('svc');
  assert.equal(m.requestCount >= 1, true);
  assert.equal(m.cacheHits, 3);
  const info = host.info('svc')!;
  assert.equal(info.state, 'running');
  assert.ok(info.lastUsed);
  await host.stop();
});

test('SIGTERM stops every plugin in reverse dependency order, then exits 0', async () => {
  const root = await tempDir();
  const stopLog = (id: string) => `export default { stop() { console.log('stop:${id}'); }, handleRequest() {} };`;
  await writePlugin(root, 'db', stopLog('db'));
  await writePlugin(root, 'api', stopLog('api'), 'requires: ["db"]\n');
  const script = join(root, 'serve.mts');
  const src = fileURLToPath(new URL('../../src/host/index.ts', import.meta.url));
  const helpers = fileURLToPath(new URL('./helpers.ts', import.meta.url));
  await writeFile(
    script,
    `import { createHost, installSignalHandlers } from ${JSON.stringify(src)};
import { silent, testConfig } from ${JSON.stringify(helpers)};
const host = createHost({ config: testConfig(), logger: silent, pluginDirs: [${JSON.stringify(root)}] });
installSignalHandlers(host);
await host.start();
console.log('ready');
setInterval(() => {}, 1000);
`,
  );
  const child = spawn(process.execPath, ['--import', 'tsx', script], { cwd: fileURLToPath(new URL('../..', import.meta.url)) });
  let out = '';
  child.stdout.on('data', (d) => {
    out += d;
    if (out.includes('ready')) child.kill('SIGTERM');
  });
  const code = await new Promise((r) => child.on('exit', r));
  assert.equal(code, 0, out);
  assert.deepEqual(out.trim().split('\n').slice(1), ['stop:api', 'stop:db']);
});

test('discovery follows symbolic links to plugin folders and manifest files; a dangling link is skipped', async () => {
  const { symlink, mkdir } = await import('node:fs/promises');
  const elsewhere = await tempDir();
  const linked = await writePlugin(elsewhere, 'linked', `export default { handleRequest() { return { statusCode: 200, body: 'linked' }; } };`);
  await writeFile(join(elsewhere, 'solo.yaml'), 'id: solo\nname: solo\nversion: 1.0.0\nkind: handler\n');
  await writeFile(join(elsewhere, 'solo.mjs'), `export default { handleRequest() { return { statusCode: 200, body: 'solo' }; } };`);
  const root = await tempDir();
  await mkdir(root, { recursive: true });
  await symlink(linked, join(root, 'linked'));
  await symlink(join(elsewhere, 'solo.yaml'), join(root, 'solo.yaml'));
  await symlink(join(elsewhere, 'solo.mjs'), join(root, 'solo.mjs'));
  await symlink(join(elsewhere, 'gone'), join(root, 'dangling'));
  const host = createHost({ config: testConfig(), logger: silent, pluginDirs: [root] });
  try {
    await host.start();
    assert.deepEqual(
      host
        .list()
        .map((p) => `${p.id} ${p.state}`)
        .sort(),
      ['linked running', 'solo running'],
    );
    assert.equal(((await host.call('linked', 'handleRequest', [{}])) as { body: string }).body, 'linked');
  } finally {
    await host.stop();
  }
});
