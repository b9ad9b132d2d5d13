// CovetPy's management routes as admin aliases (same token), and feature flags toggled at run time
// through PUT /admin/plugins/:id/flags/:name with an event and an audit line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createHost } from '../../src/host/index.js';
import { http, makeHost, startGateway, testConfig } from '../gateway/helpers.js';
import { waitFor } from '../helpers/wait.js';

const TOKEN = 'tok-seed-admin';
const auth = { authorization: `Bearer ${TOKEN}` };
const flagged = {
  id: 'flagged',
  plugin: { handleRequest: (_req: unknown, ctx: { flags: { isEnabled(n: string): boolean } }) => ({ statusCode: 200, body: { beta: ctx.flags.isEnabled('beta') } }) },
  manifest: { endpoints: [{ path: '/flagged', method: 'GET' as const, auth: 'none' as const, roles: [], permissions: [] }], featureFlags: [{ name: 'beta', default: false }] },
};

test('GET /_plugins, GET /_plugins/health and POST /_plugins/{name}/reload answer like the admin API, with its token', async () => {
  const host = await makeHost([flagged]);
  const gw = await startGateway(host, { env: { PLUGWAY_ADMIN_TOKEN: TOKEN } });
  try {
    const list = await http(`${gw.url}/_plugins`, { headers: auth });
    assert.equal(list.status, 200);
    assert.deepEqual(
      list.json.plugins.map((p: { id: string }) => p.id),
      ['flagged'],
    );
    const admin = await http(`${gw.url}/admin/plugins`, { headers: auth });
    assert.deepEqual(Object.keys(list.json), Object.keys(admin.json));

    const health = await http(`${gw.url}/_plugins/health?refresh=1`, { headers: auth });
    assert.equal(health.status, 200);
    assert.equal(health.json.plugins[0].health, 'healthy');

    for (const [method, path] of [
      ['GET', '/_plugins'],
      ['GET', '/_plugins/health'],
      ['POST', '/_plugins/flagged/reload'],
    ] as const) {
      const denied = await http(`${gw.url}${path}`, { method });
      assert.equal(denied.status, 401, `${method} ${path}`);
      assert.equal(denied.json.error.code, 'PLW_ERR_ADMIN_UNAUTHORIZED');
      assert.match(denied.headers.get('www-authenticate') ?? '', /Bearer/);
      assert.equal((await http(`${gw.url}${path}`, { method, headers: { authorization: 'Bearer wrong' } })).status, 401);
    }
    // A plugin given in code cannot be re-read from disk: the admin API's own coded error, through the alias.
    const r = await http(`${gw.url}/_plugins/flagged/reload`, { method: 'POST', headers: auth });
    assert.equal(r.json.error.code, 'PLW_ERR_RELOAD_FAILED');
    assert.equal((await http(`${gw.url}/_plugins/nope/reload`, { method: 'POST', headers: auth })).status, 404);
  } finally {
    await gw.close();
    await host.stop();
  }
});

test('POST /_plugins/{name}/reload reloads from disk and says "reloaded"', async () => {
  const root = await mkdtemp(join(tmpdir(), 'plugway-alias-reload-'));
  await mkdir(join(root, 'disk-one'));
  await writeFile(
    join(root, 'disk-one', 'plugin.yaml'),
    'id: disk-one\nversion: 1.0.0\nkind: handler\nruntime:\n  type: inprocess\n  entry: index.mjs\nendpoints:\n  - path: /disk\n    method: GET\n',
  );
  await writeFile(join(root, 'disk-one', 'index.mjs'), 'export default { handleRequest: () => ({ statusCode: 200, body: { v: 1 } }) };\n');
  const host = createHost({ config: testConfig((c) => ((c.plugins.directories = [root]), (c.reload.watchWindowMs = 0))), logger: pino({ level: 'silent' }) });
  await host.start();
  const gw = await startGateway(host, { env: { PLUGWAY_ADMIN_TOKEN: TOKEN } });
  try {
    await writeFile(
      join(root, 'disk-one', 'plugin.yaml'),
      'id: disk-one\nversion: 1.1.0\nkind: handler\nruntime:\n  type: inprocess\n  entry: index.mjs\nendpoints:\n  - path: /disk\n    method: GET\n',
    );
    await writeFile(join(root, 'disk-one', 'index.mjs'), 'export default { handleRequest: () => ({ statusCode: 200, body: { v: 2 } }) };\n');
    const r = await http(`${gw.url}/_plugins/disk-one/reload`, { method: 'POST', headers: auth });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.status, 'reloaded');
    assert.equal(r.json.version, '1.1.0');
    assert.deepEqual((await http(`${gw.url}/disk`)).json, { v: 2 });
    assert.match(await readFile(join(gw.stateDir, 'audit.log'), 'utf8'), /"action":"reload","target":"disk-one","result":"ok"/);
  } finally {
    await gw.close();
    await host.stop();
  }
});

test('PUT /admin/plugins/:id/flags/:name toggles a flag at run time: the plugin sees it, an event and an audit line record it', async () => {
  const host = await makeHost([flagged]);
  const gw = await startGateway(host, { env: { PLUGWAY_ADMIN_TOKEN: TOKEN } });
  const events: Array<{ data: Record<string, unknown> }> = [];
  host.events.on('plugin.flag_changed', (e) => void events.push(e as never));
  try {
    assert.deepEqual((await http(`${gw.url}/flagged`)).json, { beta: false });
    const on = await http(`${gw.url}/admin/plugins/flagged/flags/beta`, { method: 'PUT', headers: auth, json: { enabled: true } });
    assert.equal(on.status, 200, on.text);
    assert.deepEqual(on.json, { id: 'flagged', flag: 'beta', enabled: true, previous: false, flags: { beta: true } });
    assert.deepEqual((await http(`${gw.url}/flagged`)).json, { beta: true }, 'seen on the next request');
    assert.equal(events.length, 1);
    assert.deepEqual({ ...events[0]!.data, actor: undefined }, { id: 'flagged', flag: 'beta', enabled: true, previous: false, actor: undefined });

    const off = await http(`${gw.url}/admin/plugins/flagged/flags/beta`, { method: 'PUT', headers: auth, json: { enabled: false } });
    assert.equal(off.json.previous, true);
    assert.deepEqual((await http(`${gw.url}/flagged`)).json, { beta: false });

    const unknown = await http(`${gw.url}/admin/plugins/flagged/flags/nope`, { method: 'PUT', headers: auth, json: { enabled: true } });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.json.error.code, 'PLW_ERR_FLAG_UNKNOWN');
    const bad = await http(`${gw.url}/admin/plugins/flagged/flags/beta`, { method: 'PUT', headers: auth, json: { enabled: 'yes' } });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.error.code, 'PLW_ERR_FLAG_VALUE_INVALID');
    assert.equal((await http(`${gw.url}/admin/plugins/flagged/flags/beta`, { method: 'PUT', json: { enabled: true } })).status, 401);

    const audit = (await readFile(join(gw.stateDir, 'audit.log'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.deepEqual(audit.map((l) => `${l.action} ${l.target} ${l.result} ${l.result === 'ok' ? l.message : l.code}`).slice(0, 4), [
      'flag flagged ok beta: false → true',
      'flag flagged ok beta: true → false',
      'flag flagged error PLW_ERR_FLAG_UNKNOWN',
      'flag flagged error PLW_ERR_FLAG_VALUE_INVALID',
    ]);
  } finally {
    await gw.close();
    await host.stop();
  }
});

test('a worker plugin sees a flag toggled at run time', async () => {
  const root = await mkdtemp(join(tmpdir(), 'plugway-flag-worker-'));
  await mkdir(join(root, 'wflag'));
  await writeFile(
    join(root, 'wflag', 'plugin.yaml'),
    'id: wflag\nversion: 1.0.0\nkind: handler\nruntime:\n  type: worker\n  entry: index.mjs\nfeature_flags:\n  - name: beta\n    default: false\nendpoints:\n  - path: /wflag\n    method: GET\n',
  );
  await writeFile(join(root, 'wflag', 'index.mjs'), "export default { handleRequest: (_req, ctx) => ({ statusCode: 200, body: { beta: ctx.flags.isEnabled('beta') } }) };\n");
  const host = createHost({ config: testConfig((c) => (c.plugins.directories = [root])), logger: pino({ level: 'silent' }) });
  await host.start();
  const gw = await startGateway(host, { env: { PLUGWAY_ADMIN_TOKEN: TOKEN } });
  try {
    assert.deepEqual((await http(`${gw.url}/wflag`)).json, { beta: false });
    assert.equal((await http(`${gw.url}/admin/plugins/wflag/flags/beta`, { method: 'PUT', headers: auth, json: { enabled: true } })).status, 200);
    // Workers get flag changes pushed within about a second.
    await waitFor(async () => (await http(`${gw.url}/wflag`)).json.beta === true, { everyMs: 100, what: 'the worker to see beta=true' });
  } finally {
    await gw.close();
    await host.stop();
  }
});
