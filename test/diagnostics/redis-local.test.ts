// redis-diagnostics against the shared local Redis (read-only use: no config changes, no flush),
// plus its manifest, contract, HTTP endpoint and error paths.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { missingForKind } from 'plugway/sdk';
import { serviceSkip, freePort } from '../helpers/services.js';
import createRedisDiagnostics, { DEFAULTS, ACTIONS, CATEGORIES } from '../../plugins/redis-diagnostics/src/index.js';
import { assertManifestMatches } from './harness.js';

const skip = await serviceSkip('redis');
const req = (body: unknown) => ({ id: 'r1', method: 'POST', path: '/diagnostics/redis', params: {}, query: {}, headers: {}, body, context: {} });

test('manifest declares the contract: kind, entry, endpoint behind auth, actions and every threshold default', () => {
  const m = assertManifestMatches('redis-diagnostics', { actions: ACTIONS, defaults: DEFAULTS });
  assert.equal(m.version, '1.0.0');
  assert.deepEqual(m.runtime, { type: 'inprocess', entry: 'src/index.ts' });
  assert.deepEqual(missingForKind('diagnostics', createRedisDiagnostics({})), []);
});

test('a healthy local Redis yields no warning or critical finding', { skip }, async () => {
  const p = createRedisDiagnostics({});
  await p.connect({ url: '127.0.0.1:6379' }, undefined as never);
  try {
    const r = await p.diagnose({ windowMs: 600, samples: 3 }, undefined as never);
    assert.equal(r.plugin_id, 'redis-diagnostics');
    assert.equal(r.target, 'redis://127.0.0.1:6379');
    const bad = r.findings.filter((f) => f.severity !== 'info');
    assert.deepEqual(bad, [], JSON.stringify(bad, null, 1));
    assert.equal(r.status, 'healthy');
    assert.ok(Number.isFinite(Date.parse(r.started_at)));
    assert.ok(r.duration_ms >= 600, 'the window was sampled');
    assert.equal(typeof r.metrics.used_memory, 'number');
    assert.equal(typeof r.metrics.ops_per_sec, 'number');
    for (const f of r.findings) {
      assert.match(f.code, /^REDIS_[A-Z_]+$/);
      assert.ok(CATEGORIES.includes(f.category), f.category);
      assert.ok(f.message && f.suggestion && typeof f.evidence === 'object');
    }
    assert.ok(
      r.findings.some((f) => f.code === 'REDIS_TOPOLOGY_STANDALONE'),
      'topology says why it does not apply',
    );
    const only = await p.diagnose({ windowMs: 200, categories: ['memory'] }, undefined as never);
    assert.ok(only.findings.every((f) => f.category === 'memory'));
    // An unknown category is said, not silently ignored (as MySQL's and PostgreSQL's).
    const typo = await p.diagnose({ windowMs: 100, categories: ['memory', 'memroy'] }, undefined as never);
    const unknown = typo.findings.find((f) => f.code === 'REDIS_UNKNOWN_CATEGORY');
    assert.ok(unknown, JSON.stringify(typo.findings));
    assert.equal(unknown.severity, 'info');
    assert.deepEqual(unknown.evidence.unknown, ['memroy']);
    assert.ok(typo.findings.every((f) => f.category === 'memory' || f.code === 'REDIS_UNKNOWN_CATEGORY'));
    assert.equal(
      only.findings.find((f) => f.code === 'REDIS_UNKNOWN_CATEGORY'),
      undefined,
    );
    const metrics = await p.getMetrics(undefined as never);
    assert.equal(typeof metrics.connected_clients, 'number');
  } finally {
    await p.disconnect(undefined as never);
  }
});

test('POST /diagnostics/redis: a result for a good body, 400 for a bad one, 502 when unreachable', { skip }, async () => {
  const p = createRedisDiagnostics({});
  const ok = await p.handleRequest(req({ target: 'redis://127.0.0.1:6379', categories: ['memory', 'clients'], window: '300ms' }));
  assert.equal(ok.statusCode, 200);
  const body = ok.body as { plugin_id: string; findings: Array<{ category: string }> };
  assert.equal(body.plugin_id, 'redis-diagnostics');
  assert.ok(body.findings.every((f) => ['memory', 'clients'].includes(f.category)));
  JSON.stringify(ok.body);
  for (const bad of [undefined, 'not json', [], {}, { target: 5 }, { target: 'x:1', categories: ['nope'] }, { target: 'x:1', window: 'soon' }, { target: 'ftp://x' }]) {
    const r = await p.handleRequest(req(bad));
    assert.equal(r.statusCode, 400, JSON.stringify(bad));
    assert.match(JSON.stringify(r.body), /"code":"PLW_ERR_/);
  }
  const down = await p.handleRequest(req({ target: `127.0.0.1:${await freePort()}`, window: 100 }));
  assert.equal(down.statusCode, 502);
  assert.match(JSON.stringify(down.body), /PLW_ERR_DIAG_CONNECT/);
});

test('calls before connect and bad targets fail with stable codes', async () => {
  const p = createRedisDiagnostics({});
  await assert.rejects(() => Promise.resolve(p.diagnose({}, undefined as never)), { code: 'PLW_ERR_DIAG_NOT_CONNECTED' });
  await assert.rejects(() => Promise.resolve(p.connect({ url: 'http://x' }, undefined as never)), { code: 'PLW_ERR_DIAG_BAD_TARGET' });
  const port = await freePort();
  await assert.rejects(() => Promise.resolve(p.connect({ url: `127.0.0.1:${port}`, timeoutMs: 500 }, undefined as never)), { code: 'PLW_ERR_DIAG_CONNECT' });
});
