// The diagnostics endpoints through the real gateway: postgres-diagnostics and mysql-diagnostics
// loaded from their plugin.yaml, jwt-auth in front (the endpoints declare auth: required).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { pathToFileURL } from 'node:url';
import { SignJWT } from 'jose';
import { pino } from 'pino';
import { createHost } from '../../src/host/index.js';
import { loadManifestFromDir } from '../../src/manifest/index.js';
import type { Host } from '../../src/host/types.js';
import type { DiagnosticResult } from '../../src/sdk/diagnostics.js';
import { http, startGateway, testConfig, type RunningGateway } from '../gateway/helpers.js';
import { serviceSkip } from '../helpers/services.js';

const SECRET = 'a-test-secret-that-is-at-least-32-bytes-long';
let host: Host;
let gw: RunningGateway;

async function register(h: Host, dir: string): Promise<void> {
  const loaded = await loadManifestFromDir(dir);
  assert.deepEqual(loaded.errors, [], `${dir}: manifest errors`);
  const mod = (await import(pathToFileURL(loaded.entryPath!).href)) as { default: unknown };
  h.register(loaded.manifest!, mod.default, loaded.source);
}

before(async () => {
  const config = testConfig((c) => {
    c.gateway.auth.plugin = 'jwt-auth';
    c.plugins.configs['jwt-auth'] = { enabled: true, config: { secret: SECRET }, dependencies: [], roles: [], required: true, flags: {} } as never;
  });
  host = createHost({ config, logger: pino({ level: 'silent' }) });
  for (const id of ['jwt-auth', 'postgres-diagnostics', 'mysql-diagnostics']) await register(host, `plugins/${id}`);
  const report = await host.start();
  assert.deepEqual(report.failed, []);
  gw = await startGateway(host);
});

after(async () => {
  await gw?.close();
  await host?.stop();
});

const token = () => new SignJWT({ roles: ['ops'] }).setProtectedHeader({ alg: 'HS256' }).setSubject('ops-1').setIssuedAt().setExpirationTime('5m').sign(new TextEncoder().encode(SECRET));

test('POST /diagnostics/postgres needs auth, answers a DiagnosticResult, 400 on a bad body', async (t) => {
  const skip = await serviceSkip('postgres');
  if (skip) return t.skip(skip);
  const body = { target: 'postgres://postgres@127.0.0.1:5432/test', categories: ['connections', 'activity'], window: '300ms' };
  const anonymous = await http(`${gw.url}/diagnostics/postgres`, { method: 'POST', json: body });
  assert.equal(anonymous.status, 401);
  const headers = { authorization: `Bearer ${await token()}` };
  const ok = await http(`${gw.url}/diagnostics/postgres`, { method: 'POST', json: body, headers });
  assert.equal(ok.status, 200, ok.text);
  const r = ok.json as DiagnosticResult;
  assert.equal(r.plugin_id, 'postgres-diagnostics');
  assert.equal(r.target, 'postgres@127.0.0.1:5432/test');
  assert.ok(r.findings.every((f) => ['connections', 'activity'].includes(f.category)));
  assert.equal(typeof r.metrics.connections, 'number');
  const bad = await http(`${gw.url}/diagnostics/postgres`, { method: 'POST', json: { categories: ['connections'] }, headers });
  assert.equal(bad.status, 400);
  assert.equal((bad.json as { error: { code: string } }).error.code, 'PLW_ERR_DIAG_BAD_REQUEST');
});

test('POST /diagnostics/mysql through the gateway; an unreachable target is a 502', async (t) => {
  const skip = await serviceSkip('mariadb');
  if (skip) return t.skip(skip);
  const headers = { authorization: `Bearer ${await token()}` };
  const ok = await http(`${gw.url}/diagnostics/mysql`, { method: 'POST', json: { target: '127.0.0.1:3306', window: '200ms', categories: ['connections'] }, headers });
  assert.equal(ok.status, 200, ok.text);
  assert.equal((ok.json as DiagnosticResult).plugin_id, 'mysql-diagnostics');
  const down = await http(`${gw.url}/diagnostics/mysql`, { method: 'POST', json: { target: '127.0.0.1:1' }, headers });
  assert.equal(down.status, 502);
  assert.equal((down.json as { error: { code: string } }).error.code, 'PLW_ERR_DIAG_CONNECT');
});
