// Releases without the admin API (gateway.admin.enabled: false): the hot_reload watcher still swaps in
// the new version, versions are still kept in the state dir, and a pinned version is restored at start.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { nextEvent, startStack, swapConfig, tmp, writeVersion } from './helpers.js';

const versionAt = async (url: string) => {
  const r = await request(url);
  assert.equal(r.statusCode, 200);
  return ((await r.body.json()) as { version: string }).version;
};

test('admin API off, hot_reload on: a change on disk is served as a new version, and kept', async () => {
  const root = await tmp('plugins');
  await writeVersion(root, 'noadmin', { version: '1.0.0' });
  const config = swapConfig((c) => {
    c.gateway.admin.enabled = false;
    c.plugins.hotReload = true;
    c.reload.watchWindowMs = 0;
  });
  const s = await startStack(root, { config });
  try {
    // The admin API really is off.
    assert.equal((await request(`${s.url}/admin/plugins`, { headers: { authorization: `Bearer ${s.token}` } })).statusCode, 404);
    assert.equal(await versionAt(`${s.url}/noadmin`), '1.0.0');

    const swapped = nextEvent(s.host, 'plugin.swapped', (d: { id: string; trigger: string; to: string }) => d.id === 'noadmin' && d.trigger === 'watch' && d.to === '2.0.0');
    await writeVersion(root, 'noadmin', { version: '2.0.0' });
    await swapped;
    assert.equal(await versionAt(`${s.url}/noadmin`), '2.0.0');

    const kept = s.host.releases.versions;
    assert.ok(kept, 'versions are kept in the state dir without the admin API');
    assert.deepEqual(
      (await kept.list('noadmin')).map((v) => v.version),
      ['2.0.0', '1.0.0'],
    );
  } finally {
    await s.close();
  }
});

test('admin API off: the version pinned by a rollback is restored at start', async () => {
  const root = await tmp('plugins');
  await writeVersion(root, 'pin', { version: '1.0.0' });
  const withAdmin = swapConfig((c) => (c.reload.watchWindowMs = 0));
  const s1 = await startStack(root, { config: withAdmin });
  await writeVersion(root, 'pin', { version: '2.0.0' });
  assert.equal((await s1.admin('POST', '/plugins/pin/reload')).json.version, '2.0.0');
  assert.equal((await s1.admin('POST', '/plugins/pin/rollback', { version: '1.0.0' })).json.version, '1.0.0');
  await s1.close();

  // Disk holds 2.0.0; without the admin API the restart still serves the pinned 1.0.0.
  const s2 = await startStack(root, { config: swapConfig((c) => ((c.reload.watchWindowMs = 0), (c.gateway.admin.enabled = false))), stateDir: s1.stateDir });
  try {
    assert.equal(await versionAt(`${s2.url}/pin`), '1.0.0');
    assert.equal(s2.host.get('pin')!.version, '1.0.0');
  } finally {
    await s2.close();
  }
});
