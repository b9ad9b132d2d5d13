// GET /admin/stats over loopback: per-plugin request counts, 5xx, p50/p99 and the 5 s series after
// real requests, open WebSocket connections per plugin, quiet plugins without a series; and the
// plugin list's versions_kept / rollback_to.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { gatewayOf } from '../../src/gateway/index.js';
import { echoPlugin, http, makeHost, startGateway, testConfig } from './helpers.js';
import { open } from './websocket-client.js';

const TOKEN = 'admin-stats-token-0123456789abcdef';
const auth = { headers: { authorization: `Bearer ${TOKEN}` } };
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

test('GET /admin/stats: rate, 5xx, p50/p99 per plugin from real requests; open WebSockets; quiet plugins carry no series', { timeout: 30_000 }, async (t) => {
  const ws = (path: string) => ({ path, method: 'GET', protocol: 'websocket', auth: 'none', roles: [], permissions: [] });
  const host = await makeHost(
    [
      { id: 'fast', plugin: echoPlugin, manifest: { endpoints: [{ path: '/fast', method: 'GET' }] as never } },
      { id: 'broken', plugin: { handleRequest: () => ({ statusCode: 500, body: { oops: true } }) }, manifest: { endpoints: [{ path: '/broken', method: 'GET' }] as never } },
      { id: 'chat', plugin: { onOpen: () => ({ hello: true }), onMessage: () => undefined }, manifest: { endpoints: [ws('/chat')] as never } },
      { id: 'quiet', plugin: echoPlugin, manifest: { endpoints: [{ path: '/quiet', method: 'GET' }] as never } },
    ],
    testConfig((c) => (c.gateway.admin.token = TOKEN)),
  );
  const gw = await startGateway(host);
  t.after(async () => (await gw.close(), await host.stop()));

  assert.equal((await http(`${gw.url}/admin/stats`)).status, 401);
  for (let i = 0; i < 30; i++) assert.equal((await http(`${gw.url}/fast?i=${i}`)).status, 200);
  for (let i = 0; i < 7; i++) assert.equal((await http(`${gw.url}/broken`)).status, 500);
  const a = await open(`${gw.url}/chat`);
  const b = await open(`${gw.url}/chat`);
  await Promise.all([a.next(), b.next()]);

  const r = await http(`${gw.url}/admin/stats`, auth);
  assert.equal(r.status, 200);
  const s = r.json;
  assert.equal(s.interval_s, 5);
  assert.equal(s.window_s, 300);
  assert.equal(s.websocket_connections, 2);
  const by = Object.fromEntries(s.plugins.map((p: { id: string }) => [p.id, p]));
  assert.deepEqual(Object.keys(by).sort(), ['broken', 'chat', 'fast', 'quiet']);

  const fast = by.fast;
  assert.equal(fast.last_minute.requests, 30);
  assert.equal(fast.last_minute.errors, 0);
  assert.ok(fast.last_minute.rps > 0);
  assert.ok(fast.last_minute.p50_ms > 0 && fast.last_minute.p99_ms >= fast.last_minute.p50_ms, JSON.stringify(fast.last_minute));
  assert.equal(fast.series.t.length, 60);
  for (const k of ['requests', 'errors', 'rps', 'p50_ms', 'p99_ms', 'max_ms']) assert.equal(fast.series[k].length, 60, k);
  assert.equal(sum(fast.series.requests), 30);
  const at = Date.parse(s.at);
  assert.ok(fast.series.t.at(-1) <= at && at - fast.series.t.at(-1) < 5_000, 'the last bucket is the one now filling');
  assert.equal(fast.series.t[1] - fast.series.t[0], 5_000);
  fast.series.requests.forEach((n: number, i: number) => {
    if (!n) assert.deepEqual([fast.series.p50_ms[i], fast.series.p99_ms[i], fast.series.max_ms[i]], [null, null, null], 'an empty bucket has no latency');
    else assert.ok(fast.series.p50_ms[i] > 0 && fast.series.p99_ms[i] >= fast.series.p50_ms[i] && fast.series.p99_ms[i] <= fast.series.max_ms[i], `bucket ${i}`);
  });

  assert.equal(by.broken.last_minute.requests, 7);
  assert.equal(by.broken.last_minute.errors, 7);
  assert.equal(sum(by.broken.series.errors), 7);

  // The upgrades are requests too (status 101); the connections are open now.
  assert.equal(by.chat.websocket_connections, 2);
  assert.equal(by.chat.last_minute.requests, 2);
  assert.equal(by.fast.websocket_connections, 0);
  assert.equal(by.quiet.series, null);
  assert.deepEqual(by.quiet.last_minute, { requests: 0, errors: 0, rps: 0, p50_ms: null, p99_ms: null });

  a.ws.close();
  await a.closed;
  const g = gatewayOf(gw.app).websockets;
  // the server learns of the close a moment after the client: wait for it (bounded by the test's timeout)
  while (g.openConnections('chat') !== 1) await new Promise((res) => setImmediate(res));
  assert.equal((await http(`${gw.url}/admin/stats`, auth)).json.websocket_connections, 1);
  b.ws.close();
  await b.closed;

  // Plugins given in code keep no versions: nothing to roll back to.
  const list = (await http(`${gw.url}/admin/plugins`, auth)).json.plugins;
  for (const p of list) assert.deepEqual([p.versions_kept, p.rollback_to], [0, null], p.id);
  const api = (await http(`${gw.url}/admin/openapi.json`, auth)).json;
  assert.ok(api.paths['/stats']?.get);
});
