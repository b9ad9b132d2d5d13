// The dashboard in a real browser (Debian's Chromium via playwright-core) against a real gateway:
// wrong token, plugin rows, disable → 503 → enable, untrusted strings rendered as text, reload and
// rollback-to from the versions panel, an error code shown, Roll back off with one version, CSP
// without violations, sign out. The live panels (charts, WebSockets, alerts): live.test.ts.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Fastify from 'fastify';
import type { Browser, Page } from 'playwright-core';
import { createGateway } from '../../src/gateway/index.js';
import { echoPlugin, makeHost, testConfig } from '../gateway/helpers.js';
import { chromiumSkip, get, launchChromium, startStack, tmp, writePlugin, type Stack } from './helpers.js';

// What the page.evaluate callbacks read in the browser (the test's own program has no DOM types).
declare const window: any, document: any, sessionStorage: any, localStorage: any;

const skip = chromiumSkip();
const XSS = 'says <img src=x onerror="window.__pwned=1"> hi <script>window.__pwned=2</script>';

let root = '';
let stack: Stack | undefined;
let browser: Browser | undefined;
let page: Page;
const problems: string[] = [];
const row = (id: string) => `#plugins-body tr[data-plugin-id="${id}"]`;

before(async () => {
  if (skip) return;
  root = await tmp('plugins');
  await writePlugin(root, { id: 'hello', version: '1.0.0', description: XSS });
  await writePlugin(root, { id: 'greet', version: '1.0.0', dependsOn: 'hello', description: 'greets' });
  stack = await startStack(root);
  browser = await launchChromium();
  page = await browser.newPage();
  page.setDefaultTimeout(10_000);
  // Runs before the page's own script (through DevTools, so the CSP does not apply to it).
  await page.addInitScript(() => {
    const w = window as unknown as { __csp: string[] };
    w.__csp = [];
    document.addEventListener('securitypolicyviolation', (e: { effectiveDirective: string }) => w.__csp.push(e.effectiveDirective));
  });
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (m) => {
    // The browser logs every 4xx answer; the expected ones (401 wrong token, 404 rollback) are checked in the tests.
    if (m.type() === 'error' && !/^Failed to load resource: the server responded with a status of 40[14]/.test(m.text())) problems.push(`console: ${m.text()}`);
  });
});

after(async () => {
  await browser?.close().catch(() => undefined);
  await stack?.close();
});

test('GET /dashboard: the page without a token, with a strict CSP', { skip, timeout: 30_000 }, async () => {
  const res = await page.goto(`${stack!.url}/dashboard`);
  assert.equal(res!.status(), 200);
  const h = res!.headers();
  assert.match(h['content-type']!, /^text\/html/);
  const csp = h['content-security-policy']!;
  for (const d of ["default-src 'none'", "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'", "form-action 'none'"]) assert.ok(csp.includes(d), d);
  assert.match(csp, /script-src 'sha256-[A-Za-z0-9+/=]+'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  assert.equal(await page.locator('#login').isVisible(), true);
  assert.equal(await page.locator('#app').isVisible(), false);
});

test('a wrong token shows a clear message and is not kept', { skip, timeout: 30_000 }, async () => {
  await page.fill('#token', 'not-the-token');
  await page.click('#login-submit');
  const err = page.locator('#login-error');
  await err.waitFor({ state: 'visible' });
  const text = await err.textContent();
  assert.match(text!, /Wrong admin token/);
  assert.match(text!, /PLW_ERR_ADMIN_UNAUTHORIZED/);
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  assert.equal(await page.locator('#app').isVisible(), false);
});

test('the right token: plugin rows in state running, token in no browser storage, never in the URL', { skip, timeout: 30_000 }, async () => {
  await page.fill('#token', stack!.token);
  await page.click('#login-submit');
  for (const id of ['hello', 'greet']) await page.waitForSelector(`${row(id)}[data-state="running"]`);
  assert.equal(await page.locator(`${row('hello')} td[data-col="state"]`).textContent(), 'running');
  assert.equal(await page.locator(`${row('hello')} td[data-col="enabled"]`).textContent(), 'enabled');
  assert.equal(await page.locator(`${row('hello')} td[data-col="version"]`).textContent(), '1.0.0');
  assert.equal(await page.locator(`${row('hello')} td[data-col="kind"]`).textContent(), 'handler');
  assert.equal(await page.locator(`${row('hello')} td[data-col="runtime"]`).textContent(), 'inprocess');
  // Plugin pages share this origin's storage: the token stays in the page's memory (issue 23).
  assert.equal(await page.evaluate(() => sessionStorage.length + localStorage.length), 0);
  assert.ok(!page.url().includes(stack!.token));
  // Nothing has been checked yet: the overall state says so instead of claiming "healthy".
  await page.waitForSelector('#health-badge[data-status="unknown"]');
  assert.match((await page.locator('#health-badge').textContent()) ?? '', /not checked yet/);
  assert.equal(await page.locator('#login').isVisible(), false);
});

test('disable → the row shows disabled and the route answers 503; enable → 200 again', { skip, timeout: 30_000 }, async () => {
  assert.equal((await get(`${stack!.url}/hello`)).status, 200);
  await page.click(`${row('hello')} button[data-action="disable"]`);
  await page.waitForSelector(`${row('hello')}[data-enabled="false"]`);
  assert.equal(await page.locator(`${row('hello')} td[data-col="enabled"]`).textContent(), 'disabled');
  assert.match((await page.locator('#flash').textContent())!, /disable hello: ok/);
  const off = await get(`${stack!.url}/hello`);
  assert.equal(off.status, 503);
  assert.equal(off.json.error.code, 'PLW_ERR_PLUGIN_DISABLED');
  assert.equal(await page.locator(`${row('hello')} button[data-action="disable"]`).isDisabled(), true);

  await page.click(`${row('hello')} button[data-action="enable"]`);
  await page.waitForSelector(`${row('hello')}[data-enabled="true"][data-state="running"]`);
  assert.equal((await get(`${stack!.url}/hello`)).status, 200);
  // the request just made shows up in the table at the next refresh
  await page.waitForFunction((sel) => Number(document.querySelector(sel)?.textContent) >= 1, `${row('hello')} td[data-col="requests"]`);
});

test('plugin strings are rendered as text: no element is created from a description', { skip, timeout: 30_000 }, async () => {
  await page.click(`${row('hello')} button.link`);
  const desc = page.locator('#details-body p.description');
  await desc.waitFor();
  assert.equal(await desc.textContent(), XSS);
  assert.equal(await page.locator('img').count(), 0);
  assert.equal(await page.locator('#details-body script, #plugins script').count(), 0);
  assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
  assert.equal(await page.locator(row('hello')).getAttribute('title'), XSS);
  // details: endpoints, dependents; greet's dependencies
  assert.match((await page.locator('#details-body').textContent())!, /GET\/hello/);
  assert.match((await page.locator('#details-body').textContent())!, /Dependents\s*greet/);
  await page.click(`${row('greet')} button.link`);
  await page.waitForFunction(() => /hello >=1\.0\.0/.test(document.getElementById('details-body')?.textContent ?? ''));
});

test('an action that fails shows its error code; Roll back is off for a plugin with one version', { skip, timeout: 30_000 }, async () => {
  // greet has one kept version only: "roll back" has nowhere to go, and the button says so
  const rollback = page.locator(`${row('greet')} button[data-action="rollback"]`);
  assert.equal(await rollback.isDisabled(), true);
  assert.match((await rollback.getAttribute('title'))!, /greet has only one version \(1\.0\.0\)/);
  // a reload of a manifest that no longer parses fails with a code; the old version keeps serving
  const manifest = join(root, 'greet', 'plugin.yaml');
  const good = await readFile(manifest, 'utf8');
  await writeFile(manifest, good.replace('version: 1.0.0', 'version: [not, a, version]'));
  try {
    await page.click(`${row('greet')} button[data-action="reload"]`);
    const result = page.locator(`${row('greet')} [data-col="result"]`);
    await page.waitForFunction((sel) => /PLW_ERR_/.test(document.querySelector(sel)?.textContent ?? ''), `${row('greet')} [data-col="result"]`);
    assert.equal(await result.textContent(), 'PLW_ERR_RELOAD_FAILED');
    assert.match((await page.locator('#flash').textContent())!, /reload greet failed: PLW_ERR_RELOAD_FAILED \(HTTP 500\) — .*at manifest: PLW_ERR_MANIFEST_BAD_SEMVER/);
    // the browser logs that 500 answer: it is this one, expected
    const logged = problems.findIndex((p) => p.includes('status of 500'));
    assert.ok(logged >= 0, problems.join('; '));
    problems.splice(logged, 1);
  } finally {
    await writeFile(manifest, good);
  }
  assert.equal((await get(`${stack!.url}/greet`)).status, 200);
});

test('reload picks up a new version on disk; the versions panel rolls back to the old one', { skip, timeout: 45_000 }, async () => {
  await writePlugin(root, { id: 'hello', version: '2.0.0', description: XSS });
  await page.click(`${row('hello')} button[data-action="reload"]`);
  await page.waitForFunction((sel) => document.querySelector(sel)?.textContent === '2.0.0', `${row('hello')} td[data-col="version"]`);
  assert.equal((await get(`${stack!.url}/hello`)).json.version, '2.0.0');

  await page.click(`${row('hello')} button.link`);
  const back = page.locator('#details-body button[data-rollback-to="1.0.0"]');
  await back.waitFor();
  assert.equal(await page.locator('#details-body tr[data-version="2.0.0"] .badge').textContent(), 'active');
  await back.click();
  await page.waitForFunction((sel) => document.querySelector(sel)?.textContent === '1.0.0', `${row('hello')} td[data-col="version"]`);
  assert.match((await page.locator('#flash').textContent())!, /rollback to 1\.0\.0 hello: ok \(2\.0\.0 → 1\.0\.0/);
  assert.equal((await get(`${stack!.url}/hello`)).json.version, '1.0.0');
  await page.waitForSelector('#details-body tr[data-version="2.0.0"] button[data-rollback-to="2.0.0"]');
});

test('a running canary shows in the details panel and is aborted from there', { skip, timeout: 30_000 }, async () => {
  const r = await fetch(`${stack!.url}/admin/plugins/hello/canary`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack!.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ version: '2.0.0', percent: 25 }),
    signal: AbortSignal.timeout(10_000),
  });
  assert.equal(r.status, 200, await r.text());
  const abort = page.locator('#details-body .canary button[data-canary="abort"]');
  await abort.waitFor();
  assert.match((await page.locator('#details-body .canary').textContent())!, /25% of calls to 2\.0\.0/);
  await abort.click();
  await page.waitForFunction(() => /No canary running/.test(document.getElementById('details-body')?.textContent ?? ''));
  assert.match((await page.locator('#flash').textContent())!, /canary abort hello: ok/);
  assert.equal((await get(`${stack!.url}/hello`)).json.version, '1.0.0');
});

test('hook stats and health panels; screenshot; no CSP violation or script error', { skip, timeout: 30_000 }, async () => {
  await page.waitForSelector('#hooks-table table, #hooks-table p');
  await page.waitForSelector('#health-table tr');
  // A gateway on its own has no nodes to show: the panel stays hidden (it shows with a cluster).
  await page.waitForSelector('#nodes-table tr[data-node-id]', { state: 'attached' });
  assert.equal(await page.locator('#nodes').isHidden(), true);
  await page.setViewportSize({ width: 1440, height: 1300 });
  const shot = join(root, 'dashboard.png');
  await page.screenshot({ path: shot, fullPage: true });
  if (process.env.PLUGWAY_DASHBOARD_SHOT) console.log(`screenshot: ${shot}`);
  assert.deepEqual(problems, []);
  assert.deepEqual(await page.evaluate(() => (window as unknown as { __csp: string[] }).__csp), []);
});

test('sign out forgets the token; a page reload asks for it again (it lives in memory only)', { skip, timeout: 30_000 }, async () => {
  await page.click('#logout');
  await page.locator('#login').waitFor({ state: 'visible' });
  assert.equal(await page.evaluate(() => sessionStorage.length), 0);
  assert.equal(await page.locator('#plugins-body tr').count(), 0);
  await page.fill('#token', stack!.token);
  await page.click('#login-submit');
  await page.waitForSelector(`${row('hello')}[data-state="running"]`);
  await page.reload();
  await page.locator('#login').waitFor({ state: 'visible' });
  await page.fill('#token', stack!.token);
  await page.click('#login-submit');
  await page.waitForSelector(`${row('hello')}[data-state="running"]`);
});

test('the CSP is in force: other origins and HTML sinks are refused', { skip, timeout: 30_000 }, async () => {
  const csp = () => page.evaluate(() => (window as unknown as { __csp: string[] }).__csp.slice());
  assert.deepEqual(await csp(), [], 'the page itself caused no violation');
  const outcome = await page.evaluate(async () => {
    const out: Record<string, string> = {};
    try {
      await fetch('http://127.0.0.2:9/x');
      out.fetch = 'sent';
    } catch (e) {
      out.fetch = (e as Error).name;
    }
    try {
      document.body.innerHTML = '<b>x</b>';
      out.innerHTML = 'assigned';
    } catch (e) {
      out.innerHTML = (e as Error).name;
    }
    return out;
  });
  assert.deepEqual(outcome, { fetch: 'TypeError', innerHTML: 'TypeError' });
  await page.waitForFunction(() => (window as unknown as { __csp: string[] }).__csp.length >= 2);
  assert.deepEqual((await csp()).sort(), ['connect-src', 'require-trusted-types-for']);
});

test('mounted under a prefix, the page finds the admin API beside it', { skip, timeout: 30_000 }, async (t) => {
  const token = 'prefix-dashboard-token-0123456789';
  const host = await makeHost(
    [{ id: 'echo', plugin: echoPlugin, manifest: { endpoints: [{ path: '/echo', method: 'GET' }] as never } }],
    testConfig((c) => (c.gateway.admin.token = token)),
  );
  const app = Fastify();
  await createGateway({ host, app, prefix: '/pw', stateDir: await tmp('prefix-state'), env: {} });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  const p = await browser!.newPage();
  t.after(async () => {
    await p.close();
    await app.close();
    await host.stop();
  });
  p.setDefaultTimeout(10_000);
  await p.goto(`${url}/pw/dashboard`);
  await p.fill('#token', token);
  await p.click('#login-submit');
  await p.waitForSelector(`${row('echo')}[data-state="running"]`);
});
