// Item 6 of issue 23: a plugin's page cannot obtain the dashboard's admin token or make an admin call.
// Chromium signs in to the dashboard, then the same tab goes to a plugin route answering text/html
// with a script that looks for the token (session and local storage, a window it opens on
// /dashboard) and tries to disable another plugin. Plus: the admin API and the dashboard answer
// only to Host names that cannot be rebound (IP literals, localhost, gateway.admin.allowed_hosts).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';
import { request } from 'undici';
import { chromiumSkip, launchChromium } from '../dashboard/helpers.js';
import { gatewayWith, handlerYaml } from './helpers.js';

declare const document: { title: string }; // in the browser page (waitForFunction)

const skip = chromiumSkip();

const EVIL_PAGE = `<!doctype html><title>innocent</title><script>
(async () => {
  const found = [];
  const look = (where, get) => { try { const v = get(); if (v) found.push(where + '=' + v); } catch (e) { found.push(where + ':' + e.name); } };
  look('session', () => sessionStorage.getItem('plugway.admin-token'));
  look('sessionAll', () => JSON.stringify(Object.entries(sessionStorage)));
  look('local', () => JSON.stringify(Object.entries(localStorage)));
  look('cookie', () => document.cookie);
  let stolen = null;
  try { stolen = sessionStorage.getItem('plugway.admin-token'); } catch {}
  // A window on the dashboard: same origin unless the plugin page is sandboxed.
  try {
    const w = window.open('/dashboard');
    // Wait for it to load; a window this page may not touch (or none) throws here, and there is nothing to wait for.
    await new Promise((r) => { try { w.addEventListener('load', r); } catch { r(); } setTimeout(r, 10000); });
    look('popupStorage', () => w.sessionStorage.getItem('plugway.admin-token'));
    look('popupToken', () => w.document.getElementById('token').value);
  } catch (e) { found.push('popup:' + e.name); }
  let admin = 0;
  try {
    const r = await fetch('/admin/plugins/victim/disable', { method: 'POST', headers: stolen ? { authorization: 'Bearer ' + stolen } : {}, credentials: 'include' });
    admin = r.status;
  } catch (e) { found.push('fetch:' + e.name); }
  document.title = 'done';
  await fetch('/collect', { method: 'POST', body: JSON.stringify({ found, stolen, admin }), mode: 'no-cors' }).catch(() => undefined);
  document.title = 'reported';
})();
</script>`;

let browser: Browser | undefined;
let gw: Awaited<ReturnType<typeof gatewayWith>> | undefined;
const reports: any[] = [];

before(async () => {
  if (skip) return;
  gw = await gatewayWith([
    {
      id: 'evil-page',
      yaml: handlerYaml('inprocess', ['/evil']),
      code: `export default { handleRequest() { return { statusCode: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: ${JSON.stringify(EVIL_PAGE)} }; } };`,
    },
    { id: 'victim', yaml: handlerYaml('inprocess', ['/victim']), code: `export default { handleRequest() { return { statusCode: 200, body: 'alive' }; } };` },
    {
      id: 'collector',
      yaml: `kind: handler\nruntime:\n  type: inprocess\n  entry: index.mjs\nendpoints:\n  - path: /collect\n    method: POST\n`,
      code: `export default { handleRequest(req) { globalThis.__plugwayCollected ??= []; globalThis.__plugwayCollected.push(typeof req.body === 'string' ? req.body : Buffer.from(req.body).toString()); return { statusCode: 204 }; } };`,
    },
  ]);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close().catch(() => undefined);
  await gw?.close();
});

test('a plugin page opened after signing in to the dashboard gets neither the token nor an admin call', { skip, timeout: 60_000 }, async () => {
  const g = gw!;
  const token = (await import('../../src/gateway/index.js')).gatewayOf(g.app).adminToken.token;
  const page = await browser!.newPage();
  page.setDefaultTimeout(15_000);
  await page.goto(`${g.url}/dashboard`);
  await page.fill('#token', token);
  await page.click('#login-submit');
  await page.locator('#plugins-body tr[data-plugin-id="victim"]').waitFor();

  (globalThis as { __plugwayCollected?: string[] }).__plugwayCollected = [];
  const res = await page.goto(`${g.url}/evil`);
  assert.match(res!.headers()['content-security-policy'] ?? '', /sandbox/);
  await page.waitForFunction(() => document.title === 'reported', undefined, { timeout: 20_000 });
  const got = (globalThis as { __plugwayCollected?: string[] }).__plugwayCollected ?? [];
  assert.equal(got.length, 1, 'the page reported back');
  const report = JSON.parse(got[0]!) as { found: string[]; stolen: string | null; admin: number };
  reports.push(report);
  assert.equal(report.stolen, null, `token stolen: ${JSON.stringify(report)}`);
  assert.ok(!JSON.stringify(report).includes(token), `the token appears in what the page found: ${JSON.stringify(report)}`);
  assert.notEqual(report.admin, 200);
  assert.equal(g.host.isEnabled('victim'), true, 'the other plugin is still enabled');
  assert.equal((await request(`${g.url}/victim`)).statusCode, 200);
});

test('the admin API and the dashboard refuse Host names a DNS rebinding would send', { timeout: 30_000 }, async (t) => {
  const g =
    gw ??
    (await gatewayWith(
      [{ id: 'victim', yaml: handlerYaml('inprocess', ['/victim']), code: `export default { handleRequest() { return { statusCode: 200 }; } };` }],
      (c) => (c.gateway.admin.allowedHosts = ['gw.internal.example']),
    ));
  if (!gw) t.after(() => g.close());
  const token = (await import('../../src/gateway/index.js')).gatewayOf(g.app).adminToken.token;
  const port = new URL(g.url).port;
  const call = async (path: string, host: string) => {
    const r = await request(`${g.url}${path}`, { headers: { host, authorization: `Bearer ${token}` } });
    const text = await r.body.text();
    return { status: r.statusCode, text };
  };
  for (const path of ['/admin/plugins', '/dashboard']) {
    const evil = await call(path, `attacker.example:${port}`);
    assert.equal(evil.status, 403, `${path} with a foreign Host: ${evil.status}`);
    assert.match(evil.text, /PLW_ERR_HOST_NOT_ALLOWED/);
    for (const ok of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]) assert.equal((await call(path, ok)).status, 200, `${path} Host ${ok}`);
  }
  // Plugin routes do not care about the Host.
  assert.equal((await call('/victim', `attacker.example:${port}`)).status, 200);
});

test('gateway.admin.allowed_hosts admits the names an operator serves the admin API under', { timeout: 30_000 }, async (t) => {
  const g = await gatewayWith([], (c) => (c.gateway.admin.allowedHosts = ['gw.internal.example']));
  t.after(() => g.close());
  const token = (await import('../../src/gateway/index.js')).gatewayOf(g.app).adminToken.token;
  const r = await request(`${g.url}/admin/plugins`, { headers: { host: 'gw.internal.example:8080', authorization: `Bearer ${token}` } });
  assert.equal(r.statusCode, 200);
  await r.body.dump();
  const other = await request(`${g.url}/admin/plugins`, { headers: { host: 'other.example', authorization: `Bearer ${token}` } });
  assert.equal(other.statusCode, 403);
  await other.body.dump();
});
