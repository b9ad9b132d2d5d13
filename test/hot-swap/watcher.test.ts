// hot_reload: a burst of writes is one reload (debounced); a half-written manifest is not loaded;
// once complete, the new version serves.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pino from 'pino';
import { createHost } from '../../src/host/index.js';
import { releasesOf } from '../../src/host/release-manager.js';
import { ReloadWatcher } from '../../src/host/reload-watcher.js';
import { manifestOf, pluginCode, startStack, swapConfig, tmp, writeVersion } from './helpers.js';

test('watcher: a burst of changes is one reload; a half-written manifest is skipped, then loaded when complete', async (t) => {
  const root = await tmp('plugins');
  const dir = await writeVersion(root, 'w', { version: '1.0.0' });
  const host = createHost({ config: swapConfig((c) => (c.reload.watchWindowMs = 0)), logger: pino({ level: 'silent' }), pluginDirs: [root] });
  await host.start();
  const releases = releasesOf(host)!;
  const reloads: string[] = [];
  const watcher = new ReloadWatcher({ debounceMs: 200, stableMs: 100, onReload: async (id) => (reloads.push(id), releases.reload(id, 'watch')) });
  t.after(async () => {
    await watcher.close();
    await host.stop();
  });
  await watcher.start([['w', { dir }]]);

  // Burst: five writes of the entry, then the manifest.
  for (let i = 0; i < 5; i++) await writeFile(join(dir, 'index.mjs'), pluginCode({ version: '2.0.0' }) + `// ${i}\n`);
  await writeFile(join(dir, 'plugin.yaml'), manifestOf('w', { version: '2.0.0' }));
  await once(watcher, 'reloaded');
  assert.deepEqual(reloads, ['w'], 'one reload for the burst');
  assert.equal(host.get('w')!.version, '2.0.0');

  // Half-written: the manifest cut in the middle of a line does not parse, nothing is loaded.
  const full = manifestOf('w', { version: '3.0.0' });
  await writeFile(join(dir, 'index.mjs'), pluginCode({ version: '3.0.0' }));
  await writeFile(join(dir, 'plugin.yaml'), full.slice(0, full.indexOf('runtime:') + 12));
  const [skipped] = (await once(watcher, 'skipped')) as [{ id: string; reason: string }];
  assert.match(skipped.reason, /manifest does not parse/);
  assert.deepEqual(reloads, ['w']);
  assert.equal(host.get('w')!.version, '2.0.0');
  await writeFile(join(dir, 'plugin.yaml'), full);
  await once(watcher, 'reloaded');
  assert.equal(host.get('w')!.version, '3.0.0');
  assert.deepEqual(reloads, ['w', 'w']);
});

test('hot_reload: true in the config: the gateway reloads a plugin when its folder changes', async () => {
  const root = await tmp('plugins');
  await writeVersion(root, 'hr', { version: '1.0.0' });
  const s = await startStack(root, { config: swapConfig((c) => ((c.plugins.hotReload = true), (c.reload.watchWindowMs = 0))) });
  try {
    const { nextEvent } = await import('./helpers.js');
    const swapped = nextEvent(s.host, 'plugin.swapped', (d: any) => d.id === 'hr' && d.trigger === 'watch');
    await writeVersion(root, 'hr', { version: '2.0.0' });
    await swapped;
    const r = await fetch(`${s.url}/hr`);
    assert.equal(((await r.json()) as { version: string }).version, '2.0.0');
  } finally {
    await s.close();
  }
});

test('hot_reload: a plugin discovered after start (POST /admin/plugins/discover) is watched too', async () => {
  const root = await tmp('plugins');
  await writeVersion(root, 'early', { version: '1.0.0' });
  const s = await startStack(root, { config: swapConfig((c) => ((c.plugins.hotReload = true), (c.reload.watchWindowMs = 0))) });
  try {
    const { nextEvent } = await import('./helpers.js');
    await writeVersion(root, 'late', { version: '1.0.0' });
    const d = await s.admin('POST', '/plugins/discover');
    assert.equal(d.status, 200, JSON.stringify(d.json));
    assert.deepEqual(d.json.added, ['late']);
    assert.equal(((await (await fetch(`${s.url}/late`)).json()) as { version: string }).version, '1.0.0');
    const swapped = nextEvent(s.host, 'plugin.swapped', (x: any) => x.id === 'late' && x.trigger === 'watch');
    await writeVersion(root, 'late', { version: '2.0.0' });
    await swapped;
    assert.equal(((await (await fetch(`${s.url}/late`)).json()) as { version: string }).version, '2.0.0');
  } finally {
    await s.close();
  }
});
