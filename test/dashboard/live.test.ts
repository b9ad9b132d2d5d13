// The dashboard's live panels in Chromium against a real gateway with plugins on disk and real
// traffic: request rate and p50/p99 charts drawn as SVG paths, open WebSocket connections, a firing
// alert, the Nodes panel absent on a gateway on its own, and Roll back off for a plugin with one
// version (on for one with two). Writes a screenshot; PLUGWAY_DASHBOARD_SHOT=<path> copies it there
// after a minute of varied traffic (how docs/img/dashboard.png is made).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { gatewayOf } from '../../src/gateway/index.js';
import { alertsConfigOf } from '../../src/host/config-alerts.js';
import { open, type Client } from '../gateway/websocket-client.js';
import { chromiumSkip, get, launchChromium, stackConfig, startStack, tmp, writePlugin, type Stack } from './helpers.js';

declare const window: any, document: any;

const skip = chromiumSkip();
const SHOT = process.env.PLUGWAY_DASHBOARD_SHOT;
let root = '';
let stack: Stack | undefined;
let browser: Browser | undefined;
let page: Page;
let chat: Client | undefined;
const problems: string[] = [];
const card = (id: string) => `#traffic-grid .card[data-plugin-id="${id}"]`;
const row = (id: string) => `#plugins-body tr[data-plugin-id="${id}"]`;

/** `n` requests to /<id>, `parallel` at a time; their statuses. */
async function send(id: string, n: number, parallel = 4): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < n; i += parallel) {
    const batch = Array.from({ length: Math.min(parallel, n - i) }, () => get(`${stack!.url}/${id}`).then((r) => r.status));
    statuses.push(...(await Promise.all(batch)));
  }
  return statuses;
}

/** For the docs' screenshot only: a minute of traffic whose rate changes every few seconds. */
async function variedTraffic(): Promise<void> {
  const end = Date.now() + 62_000;
  for (let k = 0; Date.now() < end; k++) {
    await Promise.all([send('checkout', 6 + ((k * 7) % 13)), send('catalog', 3 + ((k * 5) % 9)), send('payments', k % 4 === 0 ? 3 : 0)]);
    await new Promise((r) => setTimeout(r, 250));
  }
}

before(async () => {
  if (skip) return;
  root = await tmp('live');
  await writePlugin(root, { id: 'checkout', version: '1.0.0', description: 'checkout API' });
  await writePlugin(root, { id: 'catalog', version: '1.0.0', description: 'product catalog: one version only' });
  await writePlugin(root, { id: 'payments', version: '1.0.0', status: 502, description: 'answers 502: its error rate fires an alert' });
  await writePlugin(root, { id: 'live-doc', version: '1.0.0', websocket: true, description: 'WebSocket rooms' });
  // Alerts are evaluated when the test says so (tick), with an error-rate rule that fires at once.
  const config = stackConfig((c) => {
    c.alerts = alertsConfigOf({ enabled: true, interval: '1h', rules: { plugin_error_rate: { threshold: 0.5, min_requests: 5, for: 0 } }, notifiers: [] });
  });
  stack = await startStack(root, config);
  // checkout gets a second version: Roll back has somewhere to go
  await writePlugin(root, { id: 'checkout', version: '1.1.0', description: 'checkout API' });
  const reload = await fetch(`${stack.url}/admin/plugins/checkout/reload`, { method: 'POST', headers: { authorization: `Bearer ${stack.token}` }, signal: AbortSignal.timeout(20_000) });
  assert.equal(reload.status, 200, await reload.text());
  browser = await launchChromium();
  page = await browser.newPage();
  page.setDefaultTimeout(15_000);
  await page.addInitScript(() => {
    window.__csp = [];
    document.addEventListener('securitypolicyviolation', (e: { effectiveDirective: string }) => window.__csp.push(e.effectiveDirective));
  });
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (m) => void (m.type() === 'error' && problems.push(`console: ${m.text()}`)));
});

after(async () => {
  chat?.ws.close();
  await browser?.close().catch(() => undefined);
  await stack?.close();
});

test('traffic, an open WebSocket and a firing alert, then the dashboard', { skip, timeout: 120_000 }, async () => {
  assert.deepEqual(new Set(await send('checkout', 40)), new Set([200]));
  assert.deepEqual(new Set(await send('catalog', 12)), new Set([200]));
  assert.deepEqual(new Set(await send('payments', 10)), new Set([502]));
  if (SHOT) await variedTraffic();
  chat = await open(`${stack!.url}/live-doc`);
  assert.deepEqual(await chat.next(), { id: 'live-doc', version: '1.0.0' });
  const alerts = gatewayOf(stack!.app).alerts;
  await alerts.tick();
  assert.deepEqual(
    alerts.list().firing.map((a) => `${a.rule}/${a.plugin}`),
    ['plugin_error_rate/payments'],
  );

  await page.setViewportSize({ width: 1440, height: 1000 });
  await page.goto(`${stack!.url}/dashboard`);
  await page.fill('#token', stack!.token);
  await page.click('#login-submit');
  await page.waitForSelector(`${row('checkout')}[data-state="running"]`);
});

test('request rate and p50/p99 charts: SVG paths drawn from the stats', { skip, timeout: 30_000 }, async () => {
  const drawn = (sel: string) => page.waitForFunction((s) => /^M[\d.]+,[\d.]+(L|h)/.test(document.querySelector(s)?.getAttribute('d') ?? ''), sel);
  for (const id of ['checkout', 'catalog', 'payments']) {
    for (const series of ['rps', 'area']) await drawn(`${card(id)} svg[data-chart="rps"] path[data-series="${series}"]`);
    for (const series of ['p50', 'p99']) await drawn(`${card(id)} svg[data-chart="latency"] path[data-series="${series}"]`);
  }
  // 5xx are drawn for payments only
  await drawn(`${card('payments')} path[data-series="errors"]`);
  assert.equal(await page.getAttribute(`${card('checkout')} path[data-series="errors"]`, 'd'), '');
  const stat = (id: string, k: string) => page.locator(`${card(id)} [data-stat="${k}"] b`).textContent();
  assert.ok(Number(await stat('checkout', 'rps')) > 0);
  assert.equal(await stat('checkout', 'errors'), '0');
  assert.ok(Number(await stat('payments', 'errors')) >= 10);
  const p50 = Number(await stat('checkout', 'p50'));
  const p99 = Number(await stat('checkout', 'p99'));
  assert.ok(p50 > 0 && p99 >= p50, `p50 ${p50}, p99 ${p99}`);
  // what the charts were drawn from: the admin API's numbers for the same minute
  const stats = (await (await fetch(`${stack!.url}/admin/stats`, { headers: { authorization: `Bearer ${stack!.token}` } })).json()) as any;
  const checkout = stats.plugins.find((p: { id: string }) => p.id === 'checkout');
  assert.ok(checkout.last_minute.requests >= 40);
  assert.match((await page.locator('#traffic-window').textContent())!, /last 5 min, 5 s buckets/);
});

test('open WebSocket connections: per plugin and in the header, and they go down when one closes', { skip, timeout: 30_000 }, async () => {
  await page.waitForSelector(`${card('live-doc')} [data-ws="1"]`);
  assert.equal(await page.locator(`${card('live-doc')} [data-ws]`).textContent(), '1 WebSocket');
  await page.waitForSelector('#ws-badge[data-open="1"]');
  assert.equal(await page.locator('#ws-badge').textContent(), 'WebSocket: 1 open');
  assert.equal(await page.getAttribute(`${card('checkout')} [data-ws]`, 'data-ws'), '0');
});

test('a firing alert is listed, with a count in the header', { skip, timeout: 30_000 }, async () => {
  const tr = page.locator('#alerts-body tr[data-alert="plugin_error_rate"][data-plugin="payments"][data-state="firing"]');
  await tr.waitFor();
  assert.match((await tr.textContent())!, /firing.*critical.*plugin_error_rate.*payments/);
  assert.equal(await page.locator('#alerts-badge').isVisible(), true);
  assert.equal(await page.locator('#alerts-badge').textContent(), '1 alert firing');
});

test('Roll back: off with a reason for a plugin with one version, on for one with two', { skip, timeout: 30_000 }, async () => {
  const one = page.locator(`${row('catalog')} button[data-action="rollback"]`);
  assert.equal(await one.isDisabled(), true);
  assert.equal(await one.getAttribute('title'), 'Nothing to roll back to: catalog has only one version (1.0.0)');
  const two = page.locator(`${row('checkout')} button[data-action="rollback"]`);
  assert.equal(await two.isDisabled(), false);
  assert.equal(await two.getAttribute('title'), 'Switch back to 1.0.0 (the previous kept version)');
  // the plugin list says why, for any client
  const list = ((await (await fetch(`${stack!.url}/admin/plugins`, { headers: { authorization: `Bearer ${stack!.token}` } })).json()) as any).plugins;
  const by = Object.fromEntries(list.map((p: { id: string; versions_kept: number; rollback_to: string | null }) => [p.id, [p.versions_kept, p.rollback_to]]));
  assert.deepEqual(by.catalog, [1, null]);
  assert.deepEqual(by.checkout, [2, '1.0.0']);
});

test('no Nodes panel on a gateway on its own; screenshot; no CSP violation or script error', { skip, timeout: 30_000 }, async () => {
  await page.waitForSelector('#nodes-table table', { state: 'attached' });
  assert.equal(await page.locator('#nodes').isHidden(), true);
  const shot = join(root, 'dashboard.png');
  await page.screenshot({ path: shot, fullPage: true });
  if (SHOT) await copyFile(shot, resolve(SHOT));
  assert.deepEqual(problems, []);
  assert.deepEqual(await page.evaluate(() => window.__csp), []);
});

test('a closed WebSocket leaves the count', { skip, timeout: 30_000 }, async () => {
  chat!.ws.close();
  await chat!.closed;
  await page.waitForSelector('#ws-badge[data-open="0"]');
  await page.waitForSelector(`${card('live-doc')} [data-ws="0"]`);
});
