// runtime.type remote in plugin.yaml: its fields parse and normalize, and its mistakes are
// reported with a code and a position.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseManifest } from './load.js';

const base = (runtime: string, extra = '') => `id: recs
version: 1.4.0
runtime:
${runtime}
endpoints:
  - { path: /recommendations, method: GET, auth: none, rate_limit: 100/min, timeout: 2s }
${extra}`;

test('the issue example parses: upstreams, balance, protocol, health_check; an endpoint timeout', async () => {
  const r = await parseManifest(
    base(
      `  type: remote
  upstreams: [http://10.0.0.7:9000, http://10.0.0.8:9000]
  balance: least-request
  protocol: http`,
      'health_check: { endpoint: /health, interval: 5s, timeout: 1s }',
    ),
  );
  assert.deepEqual(r.errors, []);
  const m = r.manifest!;
  assert.equal(m.runtime.type, 'remote');
  assert.deepEqual(m.runtime.remote!.upstreams, ['http://10.0.0.7:9000', 'http://10.0.0.8:9000']);
  assert.equal(m.runtime.remote!.balance, 'least-request');
  assert.equal(m.runtime.remote!.protocol, 'http');
  assert.deepEqual(m.runtime.remote!.retries, { attempts: 2, budgetPercent: 20, minConcurrency: 3 });
  assert.deepEqual(m.healthCheck, { endpoint: '/health', intervalMs: 5000, timeoutMs: 1000 });
  assert.equal(m.endpoints[0]!.timeoutMs, 2000);
});

test('discovered upstreams, consistent-hash by header, TLS, retries and outlier detection', async () => {
  const r = await parseManifest(
    base(`  type: remote
  upstreams: { discover: etcd, service: ai-recommendations }
  balance: consistent-hash
  hash_key: header:X-Tenant
  protocol: plugin
  plugin_path: /plugin
  tls: { ca: ./ca.pem, verify: true }
  retries: { attempts: 1, budget_percent: 10, min_concurrency: 1 }
  outlier_detection: { consecutive_errors: 3, base_ejection: 10s, max_ejection: 1m, max_ejected_percent: 50 }`),
  );
  assert.deepEqual(r.errors, []);
  const spec = r.manifest!.runtime.remote!;
  assert.deepEqual(spec.discover, { source: 'etcd', service: 'ai-recommendations', endpoints: [], prefix: '/plugway/services/' });
  assert.deepEqual(spec.hashKey, { type: 'header', name: 'x-tenant' });
  assert.equal(spec.pluginPath, '/plugin');
  assert.deepEqual(spec.tls, { verify: true, ca: './ca.pem' });
  assert.deepEqual(spec.outlier, { consecutiveErrors: 3, baseEjectionMs: 10_000, maxEjectionMs: 60_000, maxEjectedPercent: 50 });
});

test('mistakes: no upstreams, a bad balance, remote fields on another runtime, an entry on a remote plugin', async () => {
  const missing = await parseManifest(base('  type: remote'));
  assert.equal(missing.errors[0]!.code, 'PLW_ERR_MANIFEST_MISSING_FIELD');
  assert.match(missing.errors[0]!.message, /upstreams/);

  const balance = await parseManifest(
    base(`  type: remote
  upstreams: [http://a:1]
  balance: random`),
  );
  assert.match(balance.errors[0]!.message, /"random" is not allowed; expected one of round-robin, least-request, consistent-hash/);
  assert.equal(balance.errors[0]!.line, 6);

  const scheme = await parseManifest(
    base(`  type: remote
  upstreams: [ftp://a:1]`),
  );
  assert.equal(scheme.errors[0]!.code, 'PLW_ERR_MANIFEST_INVALID');

  const other = await parseManifest(
    base(`  type: inprocess
  upstreams: [http://a:1]`),
  );
  assert.match(other.errors[0]!.message, /runtime\.upstreams applies to runtime\.type remote only/);

  const entry = await parseManifest(
    base(`  type: remote
  entry: index.js
  upstreams: [http://a:1]`),
  );
  assert.ok(entry.errors.some((e) => /has no entry: remove runtime\.entry/.test(e.message)));
});
