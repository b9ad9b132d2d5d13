// Hooks registered by plugins (ctx.hooks.on) and host.selectProvider() with its onProviderSwitch,
// on real plugin folders: providers, a router and a watcher plugin that registers hooks.
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { createHost } from '../../src/index.js';
import { silent, tempDir, testConfig } from './helpers.js';

type G = typeof globalThis & { __hookLog: unknown[][]; __route?: unknown; __routerOff?: boolean; __offs?: Record<string, () => void> };
const g = globalThis as G;

async function writeKind(root: string, id: string, kind: string, code: string): Promise<void> {
  const dir = join(root, id);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'plugin.yaml'), `id: ${id}\nversion: 1.0.0\nkind: ${kind}\nruntime:\n  type: inprocess\n  entry: index.mjs\n`);
  await writeFile(join(dir, 'index.mjs'), code);
}

const provider = (id: string, models: string[]) => `export default {
  models() { return ${JSON.stringify(models)}; },
  complete(req) { return { id: 'r', provider: '${id}', model: req.model, content: 'hi from ${id}' }; },
};\n`;

// onProviderSwitch and lifecycle.stopped in init (the GoLeapAI seed's way); onRequest in start, so
// that it is back after a stop and a start; onResponse removed at once; onError throws.
const WATCHER = `const log = (globalThis.__hookLog ??= []);
export default {
  init(ctx) {
    ctx.hooks.on('onProviderSwitch', (e) => { log.push(['switch', e.key, e.from, e.to, e.reason, e.router ?? null]); });
    ctx.hooks.on('lifecycle.stopped', (c) => { log.push(['stopped', c.id]); });
    const off = ctx.hooks.on('onResponse', () => { log.push(['onResponse']); });
    off();
    ctx.hooks.on('onError', () => { throw new Error('hook bug'); });
    (globalThis.__offs ??= {}).watcher = ctx.hooks.on('onError', async () => { log.push(['onError']); });
  },
  start(ctx) {
    ctx.hooks.on('onRequest', async (p) => { log.push(['onRequest', ctx.pluginId, p.pluginId]); });
  },
  handleRequest() { return { statusCode: 204 }; },
};\n`;

const ROUTER = `export default {
  canRoute() { return globalThis.__routerOff !== true; },
  selectProvider(req, candidates) {
    globalThis.__candidates = candidates.map((c) => c.id + ':' + c.models.join('|'));
    return globalThis.__route;
  },
};\n`;

async function setup() {
  g.__hookLog = [];
  delete g.__route;
  delete g.__routerOff;
  const root = await tempDir('plw-hooks-');
  await writeKind(root, 'watcher', 'handler', WATCHER);
  await writeKind(root, 'alpha', 'provider', provider('alpha', ['m1', 'm2']));
  await writeKind(root, 'beta', 'provider', provider('beta', ['m1']));
  await writeKind(root, 'picker', 'router', ROUTER);
  await writeKind(root, 'typo', 'handler', `export default { init(ctx) { ctx.hooks.on('onRequst', () => {}); }, handleRequest() { return { statusCode: 200 }; } };\n`);
  const host = createHost({ config: testConfig({ directories: [root] }, { beta: { priority: 10 } }), logger: silent });
  const report = await host.start();
  return { host, report };
}

const req = (over: Record<string, unknown> = {}) => ({ model: 'm1', messages: [{ role: 'user' as const, content: 'hi' }], ...over });

test("ctx.hooks.on: a plugin's hooks run with the host's, are isolated, and go when it stops", async () => {
  const { host, report } = await setup();
  try {
    assert.deepEqual([...report.running].sort(), ['alpha', 'beta', 'picker', 'watcher']);
    const typo = host.get('typo')!;
    assert.equal(typo.state, 'failed', 'an unknown hook name fails the plugin');
    assert.match(
      typo.error!.message,
      /ctx\.hooks\.on: unknown hook "onRequst"; known: onRequest, onResponse, onError, onProviderSwitch, (on_request, on_response, on_error, on_provider_switch, )?lifecycle\.unloaded/,
    );

    await host.hooks.run('onRequest', { pluginId: 'hello', request: {} });
    await host.hooks.run('onResponse', { pluginId: 'hello', request: {}, response: { statusCode: 200 } });
    await host.hooks.run('onError', { pluginId: 'hello', request: {}, status: 500, error: { code: 'X', message: 'x' } });
    assert.deepEqual(g.__hookLog, [['onRequest', 'watcher', 'hello'], ['onError']], 'onResponse was removed by its unsubscribe');
    const stats = host.hooks.stats();
    assert.equal(stats.onError!.count, 2);
    assert.equal(stats.onError!.errors, 1, 'the throwing hook is counted, not thrown');

    g.__offs!.watcher!();
    await host.hooks.run('onError', {});
    assert.equal(g.__hookLog.filter((e) => e[0] === 'onError').length, 1, 'the unsubscribe returned by ctx.hooks.on removes it');

    await host.stopPlugin('watcher');
    assert.equal(host.hooks.has('onRequest'), false, 'stopping the plugin removes its hooks');
    assert.equal(host.hooks.has('onProviderSwitch'), false);
    assert.equal(host.hooks.has('lifecycle.stopped'), false);
    g.__hookLog.length = 0;
    await host.hooks.run('onRequest', { pluginId: 'hello', request: {} });
    assert.deepEqual(g.__hookLog, []);

    await host.startPlugin('watcher');
    await host.hooks.run('onRequest', { pluginId: 'again', request: {} });
    assert.deepEqual(g.__hookLog, [['onRequest', 'watcher', 'again']], 'hooks registered in start() are back after a restart');
    assert.equal(host.hooks.has('onProviderSwitch'), false, 'init() does not run again: its hooks stay removed');
  } finally {
    await host.stop();
  }
});

test("host.selectProvider: the router picks among running providers; onProviderSwitch runs when a key's pick changes", async () => {
  const { host } = await setup();
  try {
    g.__route = 'alpha';
    assert.deepEqual(await host.selectProvider(req()), { provider: 'alpha', reason: 'router', router: 'picker' });
    assert.deepEqual((globalThis as Record<string, unknown>).__candidates, ['beta:m1', 'alpha:m1|m2'], 'candidates in priority order, with their models');
    assert.deepEqual(await host.selectProvider(req()), { provider: 'alpha', reason: 'router', router: 'picker' });
    assert.deepEqual(
      g.__hookLog.filter((e) => e[0] === 'switch'),
      [],
      'no switch: first pick, then the same pick',
    );

    g.__route = 'beta';
    assert.deepEqual(await host.selectProvider(req()), { provider: 'beta', reason: 'router', router: 'picker', switchedFrom: 'alpha' });
    assert.deepEqual(g.__hookLog.at(-1), ['switch', 'm1', 'alpha', 'beta', 'router', 'picker']);

    // another key remembers its own pick
    assert.equal((await host.selectProvider(req(), { key: 'route:/chat' }))!.switchedFrom, undefined);

    // a router naming no running provider is ignored: the request's preferredProvider
    g.__route = 'gamma';
    assert.deepEqual(await host.selectProvider(req({ preferredProvider: 'alpha' })), { provider: 'alpha', reason: 'preferred', switchedFrom: 'beta' });
    assert.deepEqual(g.__hookLog.at(-1), ['switch', 'm1', 'beta', 'alpha', 'preferred', null]);

    // a router that declines (canRoute false): the first provider serving the model, by priority
    g.__routerOff = true;
    assert.deepEqual(await host.selectProvider(req()), { provider: 'beta', reason: 'fallback', switchedFrom: 'alpha' });
    assert.deepEqual(await host.selectProvider(req({ model: 'm2' })), { provider: 'alpha', reason: 'fallback' });
    assert.equal(await host.selectProvider(req({ model: 'none' })), undefined, 'no provider serves the model');

    // a stopped provider is no candidate
    await host.stopPlugin('beta');
    assert.deepEqual(await host.selectProvider(req()), { provider: 'alpha', reason: 'fallback', switchedFrom: 'beta' });
    assert.deepEqual(g.__hookLog.at(-2), ['stopped', 'beta'], "the watcher's lifecycle.stopped hook saw beta stop");
    assert.deepEqual(g.__hookLog.at(-1), ['switch', 'm1', 'beta', 'alpha', 'fallback', null]);
  } finally {
    await host.stop();
  }
});
