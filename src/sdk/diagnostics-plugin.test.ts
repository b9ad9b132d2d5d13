// The diagnostics plugin object built by the SDK: the session's lifecycle, stable codes before
// connect, the action gate, config layers, and the endpoint opening a session of its own.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PluginContext } from './context.js';
import type { DiagnoseOptions, DiagnosticTarget } from './diagnostics.js';
import { badTargetError } from './diagnostics-errors.js';
import { createDiagnosticsPlugin, gateAction, resolveDiagnosticsConfig, type DiagnosticsSession } from './diagnostics-plugin.js';
import type { PluginRequest } from './types.js';

const DEFAULTS = { window: '2s', samples: 3, allow_destructive: false, limit: 0.8, groups: [] as string[] };
type Config = typeof DEFAULTS;

test('resolveDiagnosticsConfig: later layers win; unknown keys, null and values of another type are ignored', () => {
  const c = resolveDiagnosticsConfig(DEFAULTS, { limit: 0.5, window: 500, nope: 1 }, { limit: 0.6, samples: 'x' as unknown as number, groups: ['a', 1] }, undefined, { allow_destructive: null });
  assert.deepEqual(c, { window: 500, samples: 3, allow_destructive: false, limit: 0.6, groups: ['a', '1'] });
  assert.deepEqual(resolveDiagnosticsConfig(DEFAULTS, { toString: 'x' } as Record<string, unknown>), DEFAULTS);
  assert.notEqual(resolveDiagnosticsConfig(DEFAULTS), DEFAULTS);
});

test('gateAction: outside the whitelist 403 NOT_ALLOWED; destructive 403 DESTRUCTIVE unless allowed', () => {
  const list = { safe: ['reset'], destructive: ['kill'] };
  gateAction('x-diagnostics', 'reset', list, false);
  gateAction('x-diagnostics', 'kill', list, true);
  assert.throws(() => gateAction('x-diagnostics', 'drop', list, true), {
    code: 'PLW_ERR_ACTION_NOT_ALLOWED',
    status: 403,
    message: 'Plugin x-diagnostics: action "drop" is not in the manifest\'s actions whitelist (reset, kill)',
  });
  assert.throws(() => gateAction('x-diagnostics', 'kill', list, false), {
    code: 'PLW_ERR_ACTION_DESTRUCTIVE',
    status: 403,
    message: 'Plugin x-diagnostics: action "kill" is destructive and disabled; set allow_destructive: true in its config to enable it',
  });
});

function fixture() {
  const log: string[] = [];
  class FakeSession implements DiagnosticsSession {
    constructor(
      readonly label: string,
      readonly config: Config,
    ) {}
    static async open(target: DiagnosticTarget, config: Config): Promise<FakeSession> {
      if (target.url.startsWith('bad')) throw badTargetError('x', target.url, 'bad');
      log.push(`open ${target.url} limit=${config.limit}`);
      return new FakeSession(target.url, config);
    }
    async diagnose(options: DiagnoseOptions, signal?: AbortSignal) {
      log.push(`diagnose ${this.label} ${JSON.stringify(options)} signal=${!!signal}`);
      return { plugin_id: 'x-diagnostics', target: this.label, status: 'healthy' as const, findings: [], metrics: { limit: this.config.limit }, started_at: '', duration_ms: 0 };
    }
    async metrics() {
      return { up: 1 };
    }
    async close() {
      log.push(`close ${this.label}`);
    }
  }
  const plugin = createDiagnosticsPlugin<Config, FakeSession, Partial<Config>>({
    id: 'x-diagnostics',
    supportedVersions: ['>=1'],
    config: (ctx) => resolveDiagnosticsConfig(DEFAULTS, { limit: 0.7 }, ctx?.config),
    open: (target, config) => FakeSession.open(target, config),
    categories: ['a', 'b'],
    example: 'x://host:1',
    actions: { safe: ['reset'], destructive: ['kill'], run: async (s, action, params, config) => ({ on: s.label, action, params, allowed: config.allow_destructive }) },
  });
  return { plugin, log };
}
const ctx = (config: Partial<Config> = {}) => ({ config, signal: new AbortController().signal }) as unknown as PluginContext<Partial<Config>>;

test('createDiagnosticsPlugin: NOT_CONNECTED before connect, one session at a time, closed on disconnect and stop', async () => {
  const { plugin, log } = fixture();
  assert.deepEqual(plugin.supportedVersions, ['>=1']);
  await assert.rejects(plugin.diagnose({}), { code: 'PLW_ERR_DIAG_NOT_CONNECTED', status: 409, message: 'Plugin x-diagnostics is not connected; call connect(target) first' });
  await assert.rejects(plugin.getMetrics(), { code: 'PLW_ERR_DIAG_NOT_CONNECTED' });
  await assert.rejects(plugin.execute('reset', {}), { code: 'PLW_ERR_DIAG_NOT_CONNECTED' });
  assert.deepEqual(await plugin.healthCheck(), { status: 'healthy', message: 'not connected' });
  await plugin.connect({ url: 'one' }, ctx({ limit: 0.9 }));
  await plugin.connect({ url: 'two' });
  assert.deepEqual(await plugin.healthCheck(), { status: 'healthy', message: 'connected to two' });
  assert.equal((await plugin.diagnose({ windowMs: 5 }, ctx())).target, 'two');
  assert.deepEqual(await plugin.getMetrics(), { up: 1 });
  await plugin.disconnect();
  await assert.rejects(plugin.diagnose({}), { code: 'PLW_ERR_DIAG_NOT_CONNECTED' });
  await assert.rejects(plugin.connect({ url: 'bad' }), { code: 'PLW_ERR_DIAG_BAD_TARGET' });
  await plugin.connect({ url: 'three' });
  await plugin.stop();
  assert.deepEqual(log, ['open one limit=0.9', 'close one', 'open two limit=0.7', 'diagnose two {"windowMs":5} signal=true', 'close two', 'open three limit=0.7', 'close three']);
});

test("createDiagnosticsPlugin: execute gates the action with the call's config, then runs it on the session", async () => {
  const { plugin } = fixture();
  await assert.rejects(plugin.execute('drop', {}), { code: 'PLW_ERR_ACTION_NOT_ALLOWED' });
  await plugin.connect({ url: 'one' });
  await assert.rejects(plugin.execute('kill', { id: 1 }), { code: 'PLW_ERR_ACTION_DESTRUCTIVE' });
  assert.deepEqual(await plugin.execute('kill', { id: 1 }, ctx({ allow_destructive: true })), { on: 'one', action: 'kill', params: { id: 1 }, allowed: true });
  assert.deepEqual(await plugin.execute('reset', undefined as never), { on: 'one', action: 'reset', params: {}, allowed: false });
});

test("createDiagnosticsPlugin: handleRequest opens a session of its own with the call's config", async () => {
  const { plugin, log } = fixture();
  await plugin.connect({ url: 'held' });
  const req = (body: unknown): PluginRequest => ({ id: 'r', method: 'POST', path: '/diagnostics/x', params: {}, query: {}, headers: {}, body, context: {} });
  const ok = await plugin.handleRequest(req({ target: 'per-request', categories: ['a'] }), ctx({ limit: 0.1 }));
  assert.equal(ok.statusCode, 200);
  assert.deepEqual((ok.body as { metrics: unknown }).metrics, { limit: 0.1 });
  assert.equal((await plugin.handleRequest(req({ target: 'x', categories: ['c'] }))).statusCode, 400);
  assert.equal((await plugin.handleRequest(req({ target: 'bad' }))).statusCode, 400);
  assert.deepEqual(await plugin.healthCheck(), { status: 'healthy', message: 'connected to held' });
  assert.deepEqual(log.slice(1), ['open per-request limit=0.1', 'diagnose per-request {"categories":["a"]} signal=true', 'close per-request']);
});
