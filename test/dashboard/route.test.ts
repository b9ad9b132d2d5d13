// GET /dashboard over HTTP without a browser: served without a token and without data, its
// security headers, mounted under a prefix, and absent when the admin API is turned off.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import Fastify from 'fastify';
import { createGateway } from '../../src/gateway/index.js';
import { DASHBOARD_CSP } from '../../src/gateway/dashboard/index.js';
import { echoPlugin, http, makeHost, startGateway, testConfig, tmpDir } from '../gateway/helpers.js';

const TOKEN = 'dashboard-route-token-0123456789';
const plugins = () => [{ id: 'secret-plugin', plugin: echoPlugin, manifest: { endpoints: [{ path: '/s', method: 'GET' }] as never } }];

test('GET /dashboard: no token needed, no data in it, strict headers; HEAD too', async (t) => {
  const gw = await startGateway(
    await makeHost(
      plugins(),
      testConfig((c) => (c.gateway.admin.token = TOKEN)),
    ),
  );
  t.after(() => gw.close());
  const r = await http(`${gw.url}/dashboard`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type')!, /^text\/html; charset=utf-8/);
  assert.equal(r.headers.get('content-security-policy'), DASHBOARD_CSP);
  assert.equal(r.headers.get('x-frame-options'), 'DENY');
  assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(r.headers.get('referrer-policy'), 'no-referrer');
  assert.equal(r.headers.get('cache-control'), 'no-store');
  assert.match(r.text, /<title>plugway dashboard<\/title>/);
  assert.ok(!r.text.includes('secret-plugin'), 'the page carries no plugin data');
  assert.ok(!r.text.includes(TOKEN), 'nor the token');
  const head = await fetch(`${gw.url}/dashboard`, { method: 'HEAD' });
  assert.equal(head.status, 200);
  assert.equal(head.headers.get('content-security-policy'), DASHBOARD_CSP);
  // the admin API it talks to still wants the token
  assert.equal((await http(`${gw.url}/admin/plugins`)).status, 401);
});

test('gateway.admin.enabled: false → no admin API and no dashboard', async (t) => {
  const gw = await startGateway(
    await makeHost(
      plugins(),
      testConfig((c) => (c.gateway.admin.enabled = false)),
    ),
  );
  t.after(() => gw.close());
  const r = await http(`${gw.url}/dashboard`);
  assert.equal(r.status, 404);
  assert.ok(!r.text.includes('<html'));
  assert.equal(r.headers.get('content-security-policy'), null);
});

test('mounted under a prefix: /<prefix>/dashboard beside /<prefix>/admin', async (t) => {
  const host = await makeHost(
    plugins(),
    testConfig((c) => (c.gateway.admin.token = TOKEN)),
  );
  const app = Fastify();
  app.get('/', async () => 'the app');
  await createGateway({ host, app, prefix: '/pw', stateDir: await tmpDir('state'), env: {} });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  t.after(() => app.close());
  assert.equal((await http(`${url}/pw/dashboard`)).status, 200);
  assert.equal((await http(`${url}/pw/admin/plugins`, { headers: { authorization: `Bearer ${TOKEN}` } })).status, 200);
  assert.notEqual((await http(`${url}/dashboard`)).headers.get('content-security-policy'), DASHBOARD_CSP);
});
