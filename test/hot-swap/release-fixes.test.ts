// Release edge cases on a real host + gateway on loopback: a failed reload keeps the pending automatic
// rollback armed, a promoted kept version survives a restart, "previous" skips a version an automatic
// rollback rejected, an unchanged reload is a no-op, and the admin answers (409, error.step, trigger="api").

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { nextEvent, startStack, swapConfig, tmp, writeVersion, type Stack } from './helpers.js';

const versionAt = async (url: string): Promise<{ status: number; version: string }> => {
  const r = await request(url);
  const json = (await r.body.json()) as { version?: string };
  return { status: r.statusCode, version: json.version ?? '?' };
};

/** Sends requests (at most `max`) until `done` resolves: traffic for the rollback rules to judge. */
async function trafficUntil(s: Stack, path: string, done: Promise<unknown>, max = 400): Promise<void> {
  let settled = false;
  void done.then(
    () => (settled = true),
    () => (settled = true),
  );
  for (let i = 0; i < max && !settled; i++) await versionAt(`${s.url}${path}`);
  await done;
}

test('a reload that fails at init during a watch window leaves the automatic rollback of the release before it running', async (t) => {
  const root = await tmp('plugins');
  await writeVersion(root, 'rf', { version: '1.0.0' });
  // A window long enough that only a trip can end it during the test.
  const s = await startStack(root, { config: swapConfig((c) => (c.reload.watchWindowMs = 60_000)) });
  t.after(() => s.close());

  await writeVersion(root, 'rf', { version: '2.0.0', status: 500 });
  assert.equal((await s.admin('POST', '/plugins/rf/reload')).status, 200);
  assert.equal((await s.admin('GET', '/plugins/rf/versions')).json.watching.standby, '1.0.0');

  await writeVersion(root, 'rf', { version: '3.0.0', failInit: true });
  const failed = await s.admin('POST', '/plugins/rf/reload');
  assert.equal(failed.status, 500, JSON.stringify(failed.json));
  assert.equal(failed.json.error.code, 'PLW_ERR_RELOAD_FAILED');
  assert.equal(failed.json.error.step, 'init');
  assert.match(failed.json.error.message, /at init/);

  const v = (await s.admin('GET', '/plugins/rf/versions')).json;
  assert.equal(v.active.version, '2.0.0');
  assert.ok(v.watching, 'the watch of 2.0.0 is still running');
  assert.equal(v.watching.version, '2.0.0');
  assert.equal(v.watching.standby, '1.0.0');

  const rolled = nextEvent(s.host, 'plugin.rolled_back', (d: any) => d.id === 'rf', 10_000);
  await trafficUntil(s, '/rf', rolled);
  const r = await rolled;
  assert.equal(r.automatic, true);
  assert.equal(r.from, '2.0.0');
  assert.equal(r.to, '1.0.0');
  assert.equal((await versionAt(`${s.url}/rf`)).version, '1.0.0');
});

test("a reload back to the content of the watch's standby restarts it under its own version (no +hash rename)", async (t) => {
  const root = await tmp('plugins');
  await writeVersion(root, 'sb', { version: '1.0.0' });
  const s = await startStack(root, { config: swapConfig((c) => (c.reload.watchWindowMs = 60_000)) });
  t.after(() => s.close());
  await writeVersion(root, 'sb', { version: '2.0.0' });
  assert.equal((await s.admin('POST', '/plugins/sb/reload')).json.version, '2.0.0');
  await writeVersion(root, 'sb', { version: '1.0.0' });
  const back = await s.admin('POST', '/plugins/sb/reload');
  assert.equal(back.status, 200, JSON.stringify(back.json));
  assert.equal(back.json.version, '1.0.0');
  assert.equal((await versionAt(`${s.url}/sb`)).version, '1.0.0');
  const v = (await s.admin('GET', '/plugins/sb/versions')).json;
  assert.deepEqual(
    v.versions.map((x: any) => x.version),
    ['1.0.0', '2.0.0'],
  );
  assert.equal(v.watching.standby, '2.0.0');
  assert.deepEqual(
    s.host.list().map((p) => p.version),
    ['1.0.0'],
  );
});

test("a promoted canary of a kept version is served after a restart; one of the folder's version is not pinned", async () => {
  const root = await tmp('plugins');
  await writeVersion(root, 'pc', { version: '1.0.0' });
  const config = swapConfig((c) => (c.reload.watchWindowMs = 0));
  const s1 = await startStack(root, { config });
  try {
    for (const version of ['2.0.0', '3.0.0']) {
      await writeVersion(root, 'pc', { version });
      assert.equal((await s1.admin('POST', '/plugins/pc/reload')).status, 200);
    }
    const c = await s1.admin('POST', '/plugins/pc/canary', { version: '2.0.0', percent: 20 });
    assert.equal(c.status, 200, JSON.stringify(c.json));
    const p = await s1.admin('POST', '/plugins/pc/canary/promote');
    assert.equal(p.status, 200, JSON.stringify(p.json));
    assert.equal(p.json.version, '2.0.0');
    const desired = (await s1.admin('GET', '/plugins/pc/versions')).json.desired;
    assert.equal(desired.version, '2.0.0');
    assert.equal(desired.pinned, true);
  } finally {
    await s1.close();
  }

  // The folder still holds 3.0.0; the restart serves the promoted 2.0.0.
  const s2 = await startStack(root, { config, stateDir: s1.stateDir });
  try {
    assert.equal((await versionAt(`${s2.url}/pc`)).version, '2.0.0');
    assert.equal(s2.host.get('pc')!.version, '2.0.0');
    // A canary of the folder's own version, promoted: nothing to pin.
    assert.equal((await s2.admin('POST', '/plugins/pc/canary', { version: '3.0.0', percent: 20 })).status, 200);
    assert.equal((await s2.admin('POST', '/plugins/pc/canary/promote')).json.version, '3.0.0');
    assert.equal((await s2.admin('GET', '/plugins/pc/versions')).json.desired.pinned, false);
  } finally {
    await s2.close();
  }
});

test('rollback without a version skips the version an automatic rollback just rejected', async (t) => {
  const root = await tmp('plugins');
  await writeVersion(root, 'pv', { version: '1.0.0' });
  const s = await startStack(root, { config: swapConfig((c) => (c.reload.watchWindowMs = 60_000)) });
  t.after(() => s.close());
  await writeVersion(root, 'pv', { version: '2.0.0' });
  assert.equal((await s.admin('POST', '/plugins/pv/reload')).status, 200);
  await writeVersion(root, 'pv', { version: '5.0.0', status: 500 });
  const rolled = nextEvent(s.host, 'plugin.rolled_back', (d: any) => d.id === 'pv', 10_000);
  assert.equal((await s.admin('POST', '/plugins/pv/reload')).status, 200);
  await trafficUntil(s, '/pv', rolled);
  assert.equal((await rolled).to, '2.0.0');

  const before = (await s.admin('GET', '/plugins/pv/versions')).json;
  assert.deepEqual(
    before.versions.map((v: any) => [v.version, v.rejected !== null]),
    [
      ['2.0.0', false],
      ['5.0.0', true],
      ['1.0.0', false],
    ],
  );
  const rb = await s.admin('POST', '/plugins/pv/rollback');
  assert.equal(rb.status, 200, JSON.stringify(rb.json));
  assert.equal(rb.json.version, '1.0.0');
  assert.equal((await versionAt(`${s.url}/pv`)).version, '1.0.0');
  // Named explicitly, a rejected version can still be served (and is no longer marked).
  assert.equal((await s.admin('POST', '/plugins/pv/rollback', { version: '5.0.0' })).json.version, '5.0.0');
  const after = (await s.admin('GET', '/plugins/pv/versions')).json;
  assert.equal(after.versions.find((v: any) => v.version === '5.0.0').rejected, null);
});

test('an unchanged reload is a no-op answered as such; admin reloads count as trigger="api"; a reload during a canary is 409', async (t) => {
  const root = await tmp('plugins');
  await writeVersion(root, 'nc', { version: '1.0.0' });
  const s = await startStack(root, { config: swapConfig((c) => (c.reload.watchWindowMs = 60_000)) });
  t.after(() => s.close());
  let swaps = 0;
  const off = s.host.events.on<{ id: string }>('plugin.swapped', (e) => void (e.data.id === 'nc' && swaps++));
  t.after(off);

  const same = await s.admin('POST', '/plugins/nc/reload');
  assert.equal(same.status, 200, JSON.stringify(same.json));
  assert.deepEqual([same.json.version, same.json.unchanged, same.json.state, same.json.action], ['1.0.0', true, 'running', 'reload']);
  assert.equal(swaps, 0);
  assert.equal((await s.admin('GET', '/plugins/nc/versions')).json.watching, null, 'no watch window for an unchanged reload');

  await writeVersion(root, 'nc', { version: '2.0.0' });
  const changed = await s.admin('POST', '/plugins/nc/reload');
  assert.deepEqual([changed.json.version, changed.json.unchanged], ['2.0.0', false]);
  const again = await s.admin('POST', '/plugins/nc/reload');
  assert.deepEqual([again.json.version, again.json.unchanged], ['2.0.0', true]);
  assert.equal(s.host.get('nc')!.version, '2.0.0', 'not renamed to 2.0.0+<hash>');
  assert.equal(swaps, 1);
  const v = (await s.admin('GET', '/plugins/nc/versions')).json;
  assert.deepEqual(
    v.versions.map((x: any) => x.version),
    ['2.0.0', '1.0.0'],
  );
  assert.equal(v.watching.version, '2.0.0');

  const metrics = await fetch(`${s.url}/metrics`).then((r) => r.text());
  assert.match(metrics, /plugway_plugin_swaps_total\{plugin="nc",trigger="api"\} 1\n/);
  assert.doesNotMatch(metrics, /plugway_plugin_swaps_total\{plugin="nc",trigger="host"\}/);

  // The version names still work for a rollback, and a reload during a canary is a conflict.
  assert.equal((await s.admin('POST', '/plugins/nc/rollback', { version: '1.0.0' })).json.version, '1.0.0');
  assert.equal((await s.admin('POST', '/plugins/nc/canary', { version: '2.0.0', percent: 10 })).status, 200);
  const refused = await s.admin('POST', '/plugins/nc/reload');
  assert.equal(refused.status, 409, JSON.stringify(refused.json));
  assert.equal(refused.json.error.code, 'PLW_ERR_CANARY_RUNNING');
  assert.match(refused.json.error.message, /canary \(2\.0\.0\) is running/);
  assert.equal((await s.admin('POST', '/plugins/nc/canary/abort')).status, 200);
});

test('hot_reload waits plugins.reload_interval after the last change; an admin reload followed by the watcher event swaps once', async (t) => {
  const root = await tmp('plugins');
  await writeVersion(root, 'ri', { version: '1.0.0' });
  const interval = 1200;
  const s = await startStack(root, {
    config: swapConfig((c) => ((c.plugins.hotReload = true), (c.plugins.reloadIntervalMs = interval), (c.reload.watchWindowMs = 0))),
  });
  t.after(() => s.close());
  let swaps = 0;
  const off = s.host.events.on<{ id: string }>('plugin.swapped', (e) => void (e.data.id === 'ri' && swaps++));
  t.after(off);

  const swapped = nextEvent(s.host, 'plugin.swapped', (d: any) => d.id === 'ri' && d.trigger === 'watch');
  await writeVersion(root, 'ri', { version: '2.0.0' });
  const written = Date.now();
  await swapped;
  const waited = Date.now() - written;
  assert.ok(waited >= interval, `the watcher reloaded ${waited} ms after the change, before reload_interval (${interval} ms)`);
  assert.equal(swaps, 1);

  // The admin reload swaps; the watcher's event for the same change then finds nothing new.
  const noop = nextEvent(s.host, 'plugin.reload_unchanged', (d: any) => d.id === 'ri');
  await writeVersion(root, 'ri', { version: '3.0.0' });
  const r = await s.admin('POST', '/plugins/ri/reload');
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.equal(r.json.version, '3.0.0');
  await noop;
  assert.equal(swaps, 2, 'one swap per change');
  assert.equal(s.host.get('ri')!.version, '3.0.0');
});
