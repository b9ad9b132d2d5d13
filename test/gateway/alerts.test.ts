// Alerts end to end: a real gateway, real local receivers (a generic webhook and an Alertmanager v2
// endpoint), conditions induced over HTTP; each alert fires once after `for:` and resolves.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { alertsConfigOf, type RawAlerts } from '../../src/host/config-alerts.js';
import { gatewayOf } from '../../src/gateway/index.js';
import { http, makeHost, rl, startGateway, testConfig } from './helpers.js';
import { waitFor } from '../helpers/wait.js';

interface Receiver {
  url: string;
  got: Array<{ path: string; body: any }>;
  close(): Promise<void>;
}

/** A local HTTP receiver; `failFirst` answers 500 to that many posts first (to see the retries). */
async function receiver(failFirst = 0): Promise<Receiver> {
  const got: Receiver['got'] = [];
  let fails = failFirst;
  const server: Server = createServer(async (req: IncomingMessage, res) => {
    let body = '';
    for await (const c of req) body += c;
    if (fails > 0) {
      fails--;
      res.writeHead(500).end();
      return;
    }
    got.push({ path: req.url ?? '', body: JSON.parse(body) });
    res.writeHead(200).end('{}');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, got, close: () => new Promise((r) => server.close(() => r())) };
}

let failing = false;
const flaky = {
  handleRequest() {
    return failing ? { statusCode: 500, body: { error: 'down' } } : { statusCode: 200, body: { ok: true } };
  },
};

function alertsConfig(raw: Partial<RawAlerts>) {
  const off = Object.fromEntries(
    ['plugin_error_rate', 'plugin_latency_p99', 'circuit_open', 'health_failing', 'plugin_failed', 'restart_loop', 'rate_limit_spike'].map((n) => [n, { enabled: false }]),
  );
  return alertsConfigOf({ enabled: true, interval: 50, notifiers: [], ...raw, rules: { ...off, ...raw.rules } });
}

async function gateway(alerts: ReturnType<typeof alertsConfig>) {
  const config = testConfig((c) => {
    c.alerts = alerts;
    c.gateway.circuitBreaker.failureThreshold = 1_000_000;
  });
  const host = await makeHost(
    [{ id: 'flaky', plugin: flaky, manifest: { endpoints: [{ path: '/flaky', method: 'GET', auth: 'none', roles: [], permissions: [], rateLimit: rl('5/s') }] as never } }],
    config,
  );
  const gw = await startGateway(host);
  return { gw, host, engine: gatewayOf(gw.app).alerts };
}

test('error rate: fires once after for:, shown at /admin/alerts and in the metric, then resolves; webhook with a retry', async (t) => {
  const hook = await receiver(1); // the first delivery fails: the notifier retries
  const { gw, host, engine } = await gateway(
    alertsConfig({
      rules: { plugin_error_rate: { enabled: true, threshold: 0.5, window: '1s', for: '300ms', min_requests: 3 } },
      notifiers: [{ type: 'webhook', url: `${hook.url}/hook`, timeout: '2s', retries: 2 }],
    }),
  );
  t.after(async () => (await gw.close(), await host.stop(), await hook.close()));
  const token = gatewayOf(gw.app).adminToken.token;
  failing = true;
  const t0 = Date.now();
  for (let i = 0; i < 4; i++) assert.equal((await http(`${gw.url}/flaky`)).status, 500);
  await waitFor(() => engine.list().pending.length + engine.list().firing.length > 0);
  await waitFor(() => engine.list().firing.length === 1);
  assert.ok(Date.now() - t0 >= 300, 'not before for: 300ms');
  await engine.flushed();
  await waitFor(() => hook.got.length === 1);
  const fired = hook.got[0]!.body;
  assert.equal(fired.status, 'firing');
  assert.equal(fired.rule, 'plugin_error_rate');
  assert.equal(fired.plugin, 'flaky');
  assert.equal(fired.value, 1);
  const admin = await http(`${gw.url}/admin/alerts`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(admin.status, 200);
  assert.equal(admin.json.firing[0].rule, 'plugin_error_rate');
  assert.equal((await http(`${gw.url}/admin/alerts`)).status, 401);
  assert.match((await http(`${gw.url}/metrics`)).text, /plugway_alerts_firing\{rule="plugin_error_rate",plugin="flaky"\} 1/);
  assert.ok(gw.logs.lines.some((l) => (l.alert === 'plugin_error_rate' && l.level === 40) || (l.alert === 'plugin_error_rate' && l.level === 'warn')));

  // Healthy again: once the window holds no failing requests, it resolves (and fires no second time).
  failing = false;
  await waitFor(() => engine.list().firing.length === 0);
  await engine.flushed();
  await waitFor(() => hook.got.length === 2);
  assert.equal(hook.got[1]!.body.status, 'resolved');
  assert.ok(hook.got[1]!.body.ends_at);
  assert.equal(hook.got.filter((g) => g.body.status === 'firing').length, 1);
  assert.equal(engine.list().resolved[0]!.rule, 'plugin_error_rate');
  assert.match((await http(`${gw.url}/metrics`)).text, /plugway_alerts_firing\{rule="plugin_error_rate",plugin="flaky"\} 0/);
});

test("rate-limit rejections spiking: sent to Alertmanager's v2 API format; no flapping while it holds", async (t) => {
  const am = await receiver();
  const { gw, host, engine } = await gateway(
    alertsConfig({ rules: { rate_limit_spike: { enabled: true, threshold: 5, window: '2s', for: 0 } }, notifiers: [{ type: 'alertmanager', url: am.url, retries: 0 }] }),
  );
  t.after(async () => (await gw.close(), await host.stop(), await am.close()));
  failing = false;
  const statuses = await Promise.all(Array.from({ length: 15 }, () => http(`${gw.url}/flaky`).then((r) => r.status)));
  assert.ok(statuses.filter((s) => s === 429).length >= 5, `429s: ${statuses.join(',')}`);
  await waitFor(() => engine.list().firing.length === 1);
  // While the rejections stay in the window, more evaluations do not send it again.
  for (let i = 0; i < 5; i++) await engine.tick();
  await engine.flushed();
  assert.equal(am.got.length, 1, JSON.stringify(am.got));
  const [alert] = am.got[0]!.body;
  assert.equal(am.got[0]!.path, '/api/v2/alerts');
  assert.deepEqual(alert.labels, { alertname: 'rate_limit_spike', plugin: 'flaky', severity: 'warning', service: 'plugway' });
  assert.ok(alert.startsAt && !alert.endsAt);
  await waitFor(() => am.got.length === 2, 10_000); // the window moves past the rejections
  assert.ok(am.got[1]!.body[0].endsAt, 'resolved: endsAt set');
});

test('a failed plugin (plugin_failed) fires, as an event too, and resolves when it runs again', async (t) => {
  const hook = await receiver();
  const config = testConfig((c) => {
    c.alerts = alertsConfig({ rules: { plugin_failed: { enabled: true } }, notifiers: [{ type: 'webhook', url: hook.url }] });
    c.runtimes.asyncContext = true; // a plugin given in code has no folder: its timer's error is attributed by scope
  });
  // An error escaping a call (a throw in a timer it started) fails the plugin.
  const bomb = {
    handleRequest() {
      setTimeout(() => {
        throw new Error('boom');
      }, 1);
      return { statusCode: 202 };
    },
  };
  const host = await makeHost([{ id: 'bomb', plugin: bomb, manifest: { endpoints: [{ path: '/bomb', method: 'GET', auth: 'none', roles: [], permissions: [] }] as never } }], config);
  const gw = await startGateway(host);
  const engine = gatewayOf(gw.app).alerts;
  t.after(async () => (await gw.close(), await host.stop(), await hook.close()));
  const events: Array<{ type: string; rule: string }> = [];
  host.events.on<{ rule: string }>('alert.firing', (e) => void events.push({ type: 'firing', rule: e.data.rule }));
  host.events.on<{ rule: string }>('alert.resolved', (e) => void events.push({ type: 'resolved', rule: e.data.rule }));
  assert.equal((await http(`${gw.url}/bomb`)).status, 202);
  await waitFor(() => host.get('bomb')?.state === 'failed');
  await waitFor(() => engine.list().firing.length === 1);
  assert.equal(engine.list().firing[0]!.summary, 'bomb: plugin failed');
  await host.retry('bomb');
  await waitFor(() => engine.list().firing.length === 0);
  await engine.flushed();
  assert.deepEqual(events, [
    { type: 'firing', rule: 'plugin_failed' },
    { type: 'resolved', rule: 'plugin_failed' },
  ]);
  assert.deepEqual(
    hook.got.map((g) => g.body.status),
    ['firing', 'resolved'],
  );
});
