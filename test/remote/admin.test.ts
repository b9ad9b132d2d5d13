// Per-upstream state and counters in the admin API, in /metrics and on the dashboard.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { http, testConfig } from '../gateway/helpers.js';
import { chromiumSkip, launchChromium } from '../dashboard/helpers.js';
import { remoteManifest, serveRemote, startUpstream } from './helpers.js';

const TOKEN = 'remote-admin-token-0123456789abcdef';

test('admin API, /metrics and the dashboard show each upstream: state, requests, errors, latency, ejections', async (t) => {
  const a = await startUpstream('a');
  const b = await startUpstream('b');
  const config = testConfig((c) => {
    c.gateway.admin.token = TOKEN;
  });
  const s = await serveRemote(
    'shop',
    remoteManifest('shop', { upstreams: [a.url, b.url], outlier: { consecutiveErrors: 1, baseEjectionMs: 60_000, maxEjectionMs: 60_000, maxEjectedPercent: 50 } }),
    config,
  );
  t.after(async () => {
    await s.close();
    await a.close();
  });
  for (let i = 0; i < 6; i++) assert.equal((await http(`${s.gw.url}/svc/x`)).status, 200);
  await b.kill();
  for (let i = 0; i < 4; i++) assert.equal((await http(`${s.gw.url}/svc/x`)).status, 200, 'the refused attempt is retried on a');

  const auth = { headers: { authorization: `Bearer ${TOKEN}` } };
  const one = await http(`${s.gw.url}/admin/plugins/shop/upstreams`, auth);
  assert.equal(one.status, 200);
  assert.equal(one.json.balance, 'round-robin');
  assert.equal(one.json.protocol, 'http');
  const byUrl = new Map((one.json.upstreams as Array<Record<string, any>>).map((u) => [u.url, u]));
  assert.equal(byUrl.get(a.url)!.state, 'healthy');
  assert.equal(byUrl.get(b.url)!.state, 'ejected');
  assert.equal(byUrl.get(b.url)!.ejections, 1);
  assert.ok(byUrl.get(b.url)!.errors >= 1);
  assert.ok(byUrl.get(a.url)!.requests >= 7);
  assert.ok(byUrl.get(a.url)!.latency_mean_ms > 0);
  assert.ok(one.json.retries.granted >= 1);
  assert.ok(Date.parse(byUrl.get(b.url)!.ejected_until) > Date.now());

  const all = await http(`${s.gw.url}/admin/upstreams`, auth);
  assert.deepEqual(
    all.json.plugins.map((p: { id: string }) => p.id),
    ['shop'],
  );
  const detail = await http(`${s.gw.url}/admin/plugins/shop`, auth);
  assert.equal(detail.json.runtime, 'remote');
  assert.equal(detail.json.remote.upstreams.length, 2);
  assert.equal((await http(`${s.gw.url}/admin/plugins/nope/upstreams`, auth)).json.error.code, 'PLW_ERR_PLUGIN_NOT_FOUND');
  assert.equal((await http(`${s.gw.url}/admin/upstreams`)).status, 401);

  const metrics = (await http(`${s.gw.url}/metrics`)).text;
  assert.match(metrics, new RegExp(`plugway_upstream_ejected\\{plugin="shop",upstream="${b.url}"\\} 1`));
  assert.match(metrics, new RegExp(`plugway_upstream_healthy\\{plugin="shop",upstream="${a.url}"\\} 1`));
  assert.match(metrics, new RegExp(`plugway_upstream_ejections_total\\{plugin="shop",upstream="${b.url}"\\} 1`));
  assert.match(metrics, /plugway_upstream_requests_total\{plugin="shop",upstream="http:\/\/127\.0\.0\.1:\d+"\} \d+/);

  const skip = chromiumSkip();
  if (skip) return t.diagnostic(`dashboard part skipped: ${skip}`);
  const browser = await launchChromium();
  t.after(() => browser.close());
  const page = await browser.newPage();
  page.setDefaultTimeout(10_000);
  await page.goto(`${s.gw.url}/dashboard`);
  await page.fill('#token', TOKEN);
  await page.click('#login-submit');
  await page.waitForSelector('#upstreams:not([hidden]) #upstreams-table tbody tr');
  const rows = await page.locator('#upstreams-table tbody tr').allTextContents();
  assert.equal(rows.length, 2);
  assert.ok(rows.some((r) => r.includes(b.url) && r.includes('ejected')));
  assert.ok(rows.some((r) => r.includes(a.url) && r.includes('healthy')));
});
