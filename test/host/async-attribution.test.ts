// runtimes.async_context: with it (true; false is the default) calls run in the plugin's AsyncLocalStorage scope;
// without it nothing does, and escaped errors are attributed by stack frame. Either way a plugin's
// escaped error fails that plugin and the process goes on.
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { test } from 'node:test';
import { createHost } from '../../src/host/index.js';
import type { StateChange } from '../../src/host/types.js';
import { pluginScope } from '../../src/runtimes/inprocess/async-errors.js';
import { loadHostConfig } from '../../src/host/config.js';
import { nextEvent, silent, tempDir, testConfig, writePlugin } from './helpers.js';

const g = globalThis as { __plwScope?: () => string | undefined; __plwEmitter?: EventEmitter };
g.__plwScope = () => pluginScope.getStore()?.pluginKey;

const scopeProbe = `export default {
  handleRequest() { return { statusCode: 200, body: { scope: globalThis.__plwScope() ?? null } }; },
};`;

test('async_context on: calls run in the plugin scope; off (the default): they do not', async () => {
  for (const asyncContext of [true, false]) {
    const root = await tempDir();
    await writePlugin(root, 'probe', scopeProbe);
    const config = testConfig();
    assert.equal(config.runtimes.asyncContext, false, 'the default');
    config.runtimes.asyncContext = asyncContext;
    const host = createHost({ config, logger: silent, pluginDirs: [root] });
    await host.start();
    const res = (await host.invoke('probe', 'handleRequest', [{ method: 'GET', path: '/', headers: {}, query: {}, params: {}, context: {} }])) as { body: { scope: string | null } };
    assert.equal(res.body.scope, asyncContext ? 'probe@1.0.0' : null);
    await host.stop();
  }
});

test('async_context off: a plugin throwing from its timer is still failed by stack frame; the process survives', async () => {
  const root = await tempDir();
  await writePlugin(
    root,
    'ticker',
    `export default {
  handleRequest() {
    setTimeout(() => { throw new Error('late tick without scope'); }, 2);
    return { statusCode: 202 };
  },
};`,
  );
  const config = testConfig();
  config.runtimes.asyncContext = false;
  const host = createHost({ config, logger: silent, pluginDirs: [root] });
  await host.start();
  const failed = nextEvent<StateChange>(host, 'plugin.state_changed', (c) => c.id === 'ticker' && c.to === 'failed');
  await host.invoke('ticker', 'handleRequest', [{ method: 'GET', path: '/', headers: {}, query: {}, params: {}, context: {} }]);
  await failed;
  assert.equal(host.get('ticker')!.error!.code, 'PLW_ERR_ASYNC_ERROR');
  assert.match(host.get('ticker')!.error!.message, /late tick without scope/);
  await host.stop();
});

test('async_context on: an error from plugin code run outside any call (a listener on a shared emitter) is failed by stack frame', async () => {
  const emitter = (g.__plwEmitter = new EventEmitter());
  const root = await tempDir();
  await writePlugin(
    root,
    'listener',
    `export default {
  start() { globalThis.__plwEmitter.on('go', () => { throw new Error('listener exploded'); }); },
  handleRequest() { return { statusCode: 200 }; },
};`,
  );
  const host = createHost({ config: testConfig(), logger: silent, pluginDirs: [root] });
  await host.start();
  const failed = nextEvent<StateChange>(host, 'plugin.state_changed', (c) => c.id === 'listener' && c.to === 'failed');
  // The timer is the test's: no plugin scope travels with it, only the listener's frame names the plugin.
  setTimeout(() => emitter.emit('go'), 1);
  await failed;
  assert.equal(host.get('listener')!.error!.code, 'PLW_ERR_ASYNC_ERROR');
  assert.match(host.get('listener')!.error!.message, /listener exploded/);
  await host.stop();
});

test('runtimes.async_context comes from YAML or PLUGWAY_ASYNC_CONTEXT; anything but a boolean is refused', async () => {
  assert.equal((await loadHostConfig({ env: {} })).runtimes.asyncContext, false);
  assert.equal((await loadHostConfig({ env: { PLUGWAY_ASYNC_CONTEXT: 'true' } })).runtimes.asyncContext, true);
  assert.equal((await loadHostConfig({ env: { PLUGWAY_ASYNC_CONTEXT: 'false' } })).runtimes.asyncContext, false);
  assert.equal((await loadHostConfig({ env: {}, overrides: { runtimes: { async_context: false } } })).runtimes.asyncContext, false);
  await assert.rejects(loadHostConfig({ env: { PLUGWAY_ASYNC_CONTEXT: 'sometimes' } }), /async_context/);
});
