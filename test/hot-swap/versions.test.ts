// Versions over the admin API: kept per reload, rollback to a named version, and the pinned version
// survives a restart of host + gateway on the same state dir even though disk holds another one.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startStack, swapConfig, tmp, writeVersion } from './helpers.js';

const get = async (url: string) => {
  const r = await request(url);
  return { status: r.statusCode, json: (await r.body.json()) as { version: string } };
};

test('rollback to a named version; the pinned version survives a restart; canary abort', async () => {
  const root = await tmp('plugins');
  await writeVersion(root, 'svc', { version: '1.0.0' });
  const config = swapConfig((c) => ((c.reload.watchWindowMs = 0), (c.state.keepVersions = 3)));
  const s1 = await startStack(root, { config });
  for (const v of ['2.0.0', '3.0.0']) {
    await writeVersion(root, 'svc', { version: v });
    assert.equal((await s1.admin('POST', '/plugins/svc/reload')).status, 200);
  }
  const list = await s1.admin('GET', '/plugins/svc/versions');
  assert.deepEqual(
    list.json.versions.map((v: any) => [v.version, v.active]),
    [
      ['3.0.0', true],
      ['2.0.0', false],
      ['1.0.0', false],
    ],
  );

  const rb = await s1.admin('POST', '/plugins/svc/rollback', { version: '1.0.0' });
  assert.equal(rb.status, 200, JSON.stringify(rb.json));
  assert.equal(rb.json.version, '1.0.0');
  assert.equal((await get(`${s1.url}/svc`)).json.version, '1.0.0');
  assert.equal((await s1.admin('POST', '/plugins/svc/rollback', { version: '9.9.9' })).json.error.code, 'PLW_ERR_VERSION_NOT_FOUND');

  // A canary of the version on disk (3.0.0), then aborted: 1.0.0 keeps serving.
  const c = await s1.admin('POST', '/plugins/svc/canary', { version: '3.0.0', percent: 50, sticky_by: 'user' });
  assert.equal(c.status, 200, JSON.stringify(c.json));
  assert.equal((await s1.admin('POST', '/plugins/svc/canary', { version: '3.0.0', percent: 150 })).json.error.code, 'PLW_ERR_CANARY_INVALID');
  assert.equal((await s1.admin('POST', '/plugins/svc/canary/abort')).status, 200);
  assert.equal((await s1.admin('GET', '/plugins/svc/canary')).json.canary, null);
  assert.equal(s1.host.list().length, 1);
  assert.equal(s1.host.get('svc')!.version, '1.0.0');
  const desired = (await s1.admin('GET', '/plugins/svc/versions')).json.desired;
  assert.equal(desired.version, '1.0.0');
  assert.equal(desired.pinned, true);
  await s1.close();

  // Disk still holds 3.0.0; the restart serves the pinned 1.0.0.
  const s2 = await startStack(root, { config, stateDir: s1.stateDir });
  try {
    assert.equal((await get(`${s2.url}/svc`)).json.version, '1.0.0');
    assert.equal(s2.host.get('svc')!.version, '1.0.0');
    // An explicit reload takes the disk again and lifts the pin.
    assert.equal((await s2.admin('POST', '/plugins/svc/reload')).json.version, '3.0.0');
    assert.equal((await s2.admin('GET', '/plugins/svc/versions')).json.desired.pinned, false);
  } finally {
    await s2.close();
  }
});

test('a version whose health check fails after the cut-over is rolled back by itself', async () => {
  const root = await tmp('plugins');
  await writeVersion(root, 'hc', { version: '1.0.0' });
  const s = await startStack(root, { config: swapConfig((c) => (c.reload.watchWindowMs = 5000)) });
  try {
    const { writeFile } = await import('node:fs/promises');
    const { join } = await import('node:path');
    await writeVersion(root, 'hc', { version: '2.0.0' });
    // Healthy for the pre-switch check, unhealthy from the second check on.
    await writeFile(
      join(root, 'hc', 'index.mjs'),
      `let n = 0;
export default {
  healthCheck() { return ++n > 1 ? { status: 'unhealthy', message: 'lost its database' } : { status: 'healthy' }; },
  handleRequest() { return { statusCode: 200, body: { version: '2.0.0' } }; },
};`,
    );
    const { nextEvent } = await import('./helpers.js');
    const rolled = nextEvent(s.host, 'plugin.rolled_back');
    assert.equal((await s.admin('POST', '/plugins/hc/reload')).status, 200);
    const r = await rolled;
    assert.equal(r.cause, 'health');
    assert.match(r.reason, /lost its database/);
    assert.equal(s.host.get('hc')!.version, '1.0.0');
  } finally {
    await s.close();
  }
});
