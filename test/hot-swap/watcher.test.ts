// hot_reload: a burst of writes is one reload (debounced); a half-written manifest is not loaded;
// once complete, the new version serves.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pino from 'pino';
import { createHost } from '../../src/host/index.js';
import { ReloadWatcher } from '../../src/host/releases/reload-watcher.js';
import { manifestOf, nextEvent, pluginCode, startStack, swapConfig, tmp, writeVersion } from './helpers.js';

test('watcher: a burst of changes is one reload; a half-written manifest is skipped, then loaded when complete', async (t) => {
  const root = await tmp('plugins');
  const dir = await writeVersion(root, 'w', { version: '1.0.0' });
  const host = createHost({ config: swapConfig((c) => (c.reload.watchWindowMs = 0)), logger: pino({ level: 'silent' }), pluginDirs: [root] });
  await host.start();
  const releases = host.releases;
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

/** A gateway with hot_reload on, serving `id` 1.0.0 from a fresh plugins folder. */
async function hotReloadStack(id: string): Promise<{ root: string; s: Awaited<ReturnType<typeof startStack>> }> {
  const root = await tmp('plugins');
  await writeVersion(root, id, { version: '1.0.0' });
  const s = await startStack(root, { config: swapConfig((c) => ((c.plugins.hotReload = true), (c.reload.watchWindowMs = 0))) });
  return { root, s };
}

/** Writes `version` of `id` into the folder and waits for the watcher's swap; the version then served. */
async function swapByWatch(stack: { root: string; s: Awaited<ReturnType<typeof startStack>> }, id: string, version: string): Promise<string> {
  const swapped = nextEvent(stack.s.host, 'plugin.swapped', (d: any) => d.id === id && d.trigger === 'watch');
  await writeVersion(stack.root, id, { version });
  await swapped;
  return ((await (await fetch(`${stack.s.url}/${id}`)).json()) as { version: string }).version;
}

test('hot_reload: true in the config: the gateway reloads a plugin when its folder changes', async () => {
  const stack = await hotReloadStack('hr');
  try {
    assert.equal(await swapByWatch(stack, 'hr', '2.0.0'), '2.0.0');
  } finally {
    await stack.s.close();
  }
});

test('hot_reload: a plugin discovered after start (POST /admin/plugins/discover) is watched too', async () => {
  const stack = await hotReloadStack('early');
  const { root, s } = stack;
  try {
    await writeVersion(root, 'late', { version: '1.0.0' });
    const d = await s.admin('POST', '/plugins/discover');
    assert.equal(d.status, 200, JSON.stringify(d.json));
    assert.deepEqual(d.json.added, ['late']);
    assert.equal(((await (await fetch(`${s.url}/late`)).json()) as { version: string }).version, '1.0.0');
    assert.equal(await swapByWatch(stack, 'late', '2.0.0'), '2.0.0');
  } finally {
    await s.close();
  }
});
