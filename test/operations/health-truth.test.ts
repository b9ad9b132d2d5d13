// Health that tells the truth: unknown until checked, the overall state from what is known, an
// unconfigured jwt-auth `disabled` (not degraded), probes not counted as requests, a failed plugin
// never stopping the gateway, and a worker restart answering a waiting request honestly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { makeHost, startGateway, testConfig, http } from '../gateway/helpers.js';
import { summarizeHealth } from '../../src/gateway/health-summary.js';
import { createWorkerRuntime } from '../../src/runtimes/worker/index.js';
import { harness, manifest } from '../runtimes/helpers.js';
import { createHost } from '../../src/host/index.js';
import { createGateway } from '../../src/gateway/index.js';
import { pino } from 'pino';

const auth = (token: string) => ({ authorization: `Bearer ${token}` });

test('overall health is computed from what is known: unknown until a check, disabled is no fault', () => {
  const row = (id: string, health: string, state = 'running', enabled = true) => ({ id, health, state, enabled });
  assert.equal(summarizeHealth([row('a', 'unknown'), row('b', 'unknown')]).status, 'unknown');
  assert.equal(summarizeHealth([row('a', 'unknown'), row('b', 'healthy')]).status, 'healthy');
  assert.equal(summarizeHealth([row('a', 'disabled'), row('b', 'healthy')]).status, 'healthy');
  assert.equal(summarizeHealth([row('a', 'degraded'), row('b', 'healthy')]).status, 'degraded');
  assert.equal(summarizeHealth([row('a', 'unknown', 'failed'), row('b', 'healthy')]).status, 'unhealthy');
  assert.equal(summarizeHealth([row('a', 'unhealthy', 'running', false), row('b', 'healthy')]).status, 'healthy');
  assert.deepEqual(summarizeHealth([row('a', 'unknown'), row('b', 'disabled')]).counts, { healthy: 0, degraded: 0, unhealthy: 0, unknown: 1, disabled: 1 });
});

test('the quickstart defaults are healthy: built-in jwt-auth with no key is disabled with a hint; health checks are not requests', async () => {
  const config = testConfig((c) => {
    c.plugins.directories = [resolve('plugins/jwt-auth')].map((d) => resolve(d, '..'));
    c.gateway.auth.plugin = 'jwt-auth';
  });
  const host = createHost({ config, logger: pino({ level: 'silent' }) });
  await host.start();
  const gw = await startGateway(host, { env: { PLUGWAY_ADMIN_TOKEN: 'tok-health' } });
  try {
    const before = await http(`${gw.url}/admin/health`, { headers: auth('tok-health') });
    assert.equal(before.status, 200);
    assert.equal(before.json.status, 'unknown', 'nothing checked yet: overall is not "healthy"');
    assert.ok(before.json.plugins.every((p: { health: string }) => p.health === 'unknown'));

    const after = await http(`${gw.url}/admin/health?refresh=1`, { headers: auth('tok-health') });
    const jwt = after.json.plugins.find((p: { id: string }) => p.id === 'jwt-auth');
    assert.equal(jwt.health, 'disabled');
    assert.match(jwt.hint, /secret, public_key or jwks_url/);
    assert.notEqual(after.json.status, 'degraded');
    assert.equal(after.json.status, 'healthy');
    assert.equal(after.json.counts.disabled, 1);

    // Three more checks and a metrics read: still no request counted.
    for (let i = 0; i < 3; i++) await http(`${gw.url}/admin/health?refresh=1`, { headers: auth('tok-health') });
    const m = await http(`${gw.url}/admin/plugins/jwt-auth/metrics`, { headers: auth('tok-health') });
    assert.equal(m.json.request_count, 0);
    assert.equal(m.json.error_count, 0);
    assert.equal(host.runtimeStats('jwt-auth')?.calls, 0);
  } finally {
    await gw.close();
    await host.stop();
  }
});

test('a failed plugin whose endpoints need auth, with no auth plugin, does not stop the gateway (and never answers unauthenticated)', async () => {
  let inits = 0;
  const host = await makeHost([
    { id: 'hello', plugin: { handleRequest: () => ({ statusCode: 200, body: { ok: true } }) }, manifest: { endpoints: [{ path: '/hi', method: 'GET', auth: 'none', roles: [], permissions: [] }] } },
    {
      id: 'broken',
      plugin: {
        init() {
          if (++inits === 1) throw new Error('cannot start');
        },
        handleRequest: () => ({ statusCode: 200 }),
      },
      manifest: { endpoints: [{ path: '/secret', method: 'GET', auth: 'required', roles: [], permissions: [] }] },
    },
  ]);
  assert.equal(host.get('broken')?.state, 'failed');
  const gw = await startGateway(host, { env: { PLUGWAY_ADMIN_TOKEN: 'tok-f' } });
  try {
    assert.equal((await http(`${gw.url}/hi`)).status, 200);
    const s = await http(`${gw.url}/secret`);
    assert.equal(s.status, 503);
    assert.equal(s.json.error.code, 'PLW_ERR_PLUGIN_NOT_RUNNING');
    const h = await http(`${gw.url}/admin/health`, { headers: auth('tok-f') });
    assert.equal(h.json.status, 'unhealthy');
    // Retried, it runs; its route still needs an auth plugin there is none of: refused, not served.
    await host.retry('broken');
    assert.equal(host.get('broken')?.state, 'running');
    const after = await http(`${gw.url}/secret`);
    assert.equal(after.status, 503);
    assert.equal(after.json.error.code, 'PLW_ERR_AUTH_PROVIDER_MISSING');
  } finally {
    await gw.close();
    await host.stop();
  }
});

test('a running plugin needing auth with no auth plugin is still refused at start (a configuration error)', async () => {
  const host = createHost({ config: testConfig(), logger: pino({ level: 'silent' }) });
  host.registerBuiltin('guarded', { handleRequest: () => ({ statusCode: 200 }) }, { endpoints: [{ path: '/g', method: 'GET', auth: 'required', roles: [], permissions: [] }] });
  await host.start();
  try {
    await assert.rejects(createGateway({ host, stateDir: await mkdtemp(join(tmpdir(), 'plugway-authmiss-')), env: {} }), { code: 'PLW_ERR_AUTH_PROVIDER_MISSING' });
  } finally {
    await host.stop();
  }
});

test('a worker restart: a waiting request is served once the instance is back, or told to retry — never "deadline of 0 ms"', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'plugway-restart-'));
  const entry = join(dir, 'crashy.mjs');
  await writeFile(
    entry,
    `export default {
  handleRequest(req) {
    if (req.path === '/crash') setTimeout(() => { throw new Error('crash in a timer'); }, 20);
    return { statusCode: 200, body: { path: req.path } };
  },
};\n`,
  );
  const h = harness(manifest({ id: 'crashy' }), entry);
  const rt = createWorkerRuntime(h.init, { backoffBaseMs: 300 });
  const req = (path: string) => [{ id: 'r', method: 'GET', path, params: {}, query: {}, headers: {}, context: {} }];
  try {
    await rt.load();
    await rt.call('init');
    await rt.call('start');
    const crashed = h.nextEvent('runtime.worker_crashed');
    // The crash may overtake the answer: either way the instance dies.
    await rt.call('handleRequest', req('/crash')).catch(() => undefined);
    await crashed;
    // Restarting (300 ms backoff): a call with a generous deadline waits and is served.
    const ok = await rt.call<{ statusCode: number; body: { path: string } }>('handleRequest', req('/ok'), { deadline: Date.now() + 10_000 });
    assert.deepEqual(ok.body, { path: '/ok' });

    const crashed2 = h.nextEvent('runtime.worker_crashed', h.events.length);
    await rt.call('handleRequest', req('/crash')).catch(() => undefined);
    await crashed2;
    // Second crash: 600 ms backoff; a 50 ms budget runs out while waiting: a 503 to retry, with the real budget.
    await assert.rejects(rt.call('handleRequest', req('/ok'), { deadline: Date.now() + 50 }), (err: Error & { code: string; status: number }) => {
      assert.equal(err.code, 'PLW_ERR_WORKER_RESTARTING');
      assert.equal(err.status, 503);
      assert.doesNotMatch(err.message, /\b0 ms/);
      assert.match(err.message, /\b(4\d|50) ms/);
      return true;
    });
  } finally {
    await rt.dispose();
  }
});
