// What `plugway plugin create` writes per kind for Node runtimes (inprocess, worker): the typed
// source, the manifest fields the kind needs, sample fixtures and the unit test cases (below node-test-preamble.ts's shared top).

import type { PluginKind } from '../../sdk/types.js';

export interface KindTemplate {
  /** src/index.ts */
  source: string;
  /** Extra plugin.yaml lines (endpoints, actions, middleware, config_schema), already indented at top level. */
  manifest: string;
  /** fixtures.json content (array). */
  fixtures: unknown[];
  /** The body of the unit test (test/plugin.test.mjs), after the shared preamble. */
  test: string;
}

const configSchema = (prop: string, def: string) => `config_schema:
  type: object
  properties:
    ${prop}:
      type: string
      default: ${JSON.stringify(def)}
  additionalProperties: false
`;

const lifecycle = (typeName: string) => `  // Lifecycle: init → start → (calls) → stop. ctx.signal fires when plugway stops the plugin.
  init(ctx: PluginContext<Config>) {
    ctx.logger.info('init');
  },
  start(ctx: PluginContext<Config>) {
    startedAt = Date.now();
    ctx.logger.info('started');
  },
  stop(ctx: PluginContext<Config>) {
    ctx.logger.info({ uptime_ms: Date.now() - startedAt }, 'stopped');
  },
  healthCheck(): HealthStatus {
    return startedAt > 0 ? { status: 'healthy' } : { status: 'unhealthy', message: 'not started' };
  },
} satisfies ${typeName}<Config>;`;

export function nodeKindTemplate(kind: PluginKind, id: string): KindTemplate {
  switch (kind) {
    case 'handler':
      return {
        source: `// ${id}: a handler plugin; each endpoint in plugin.yaml reaches handleRequest.
import type { HandlerPlugin, HealthStatus, PluginContext, PluginRequest, PluginResponse } from 'plugway/sdk';

interface Config {
  greeting: string;
}

let startedAt = 0;

export default {
  handleRequest(req: PluginRequest, ctx: PluginContext<Config>): PluginResponse {
    const name = req.params.name ?? 'world';
    return { statusCode: 200, body: { message: \`\${ctx.config.greeting}, \${name}!\`, plugin: ctx.pluginId } };
  },
${lifecycle('HandlerPlugin')}
`,
        manifest: `endpoints:
  - path: /${id}/hello/{name}
    method: GET
    auth: none
${configSchema('greeting', 'Hello')}`,
        fixtures: [
          {
            name: 'greets by name',
            request: { method: 'GET', path: `/${id}/hello/Ada` },
            expect: { status: 200, body: { message: 'Hello, Ada!' } },
          },
        ],
        test: `test('greets by name', async () => {
  const ctx = fakeContext({ greeting: 'Hi' });
  await plugin.init?.(ctx);
  await plugin.start?.(ctx);
  const res = await plugin.handleRequest(request({ params: { name: 'Ada' } }), ctx);
  assert.equal(res.statusCode, 200);
  assert.equal(res.body.message, 'Hi, Ada!');
  assert.equal((await plugin.healthCheck(ctx)).status, 'healthy');
  await plugin.stop?.(ctx);
});
`,
      };
    case 'middleware':
      return {
        source: `// ${id}: a middleware plugin; runs before (onRequest) and after (onResponse) the routes it covers.
import type { HealthStatus, MiddlewarePlugin, PluginContext, PluginRequest, PluginResponse } from 'plugway/sdk';

interface Config {
  header: string;
}

let startedAt = 0;

export default {
  // Return nothing to continue, or a response to answer at once.
  onRequest(req: PluginRequest): PluginResponse | undefined {
    if (req.headers['x-block'] === 'yes') return { statusCode: 403, body: { error: 'blocked by ${id}' } };
    req.context['${id}'] = { seenAt: Date.now() };
    return undefined;
  },
  // Return a response to replace the outgoing one.
  onResponse(_req: PluginRequest, res: PluginResponse, ctx: PluginContext<Config>): PluginResponse {
    return { ...res, headers: { ...res.headers, [ctx.config.header]: ctx.pluginId } };
  },
${lifecycle('MiddlewarePlugin')}
`,
        manifest: `middleware:
  priority: 100
  routes: ["/*"]
${configSchema('header', 'x-' + id)}`,
        fixtures: [
          {
            name: 'lets a normal request through',
            call: { method: 'onRequest', request: { method: 'GET', path: '/anything' } },
            expect: { result: null },
          },
          {
            name: 'blocks a request with x-block: yes',
            call: { method: 'onRequest', request: { method: 'GET', path: '/anything', headers: { 'x-block': 'yes' } } },
            expect: { result: { statusCode: 403 } },
          },
          {
            name: 'tags the response',
            call: { method: 'onResponse', request: { method: 'GET', path: '/anything' }, args: [{ statusCode: 200, body: 'ok' }] },
            expect: { result: { statusCode: 200, headers: { [`x-${id}`]: id } } },
          },
        ],
        test: `test('blocks and tags', async () => {
  const ctx = fakeContext({ header: 'x-test' });
  assert.equal(await plugin.onRequest(request({})), undefined);
  assert.equal((await plugin.onRequest(request({ headers: { 'x-block': 'yes' } }))).statusCode, 403);
  const res = await plugin.onResponse(request({}), { statusCode: 200 }, ctx);
  assert.equal(res.headers['x-test'], ctx.pluginId);
});
`,
      };
    case 'auth':
      return {
        source: `// ${id}: an auth plugin; the gateway asks it who the caller is (gateway.auth.plugin in plugway.yaml).
import type { AuthPlugin, HealthStatus, PluginContext, PluginRequest, Principal } from 'plugway/sdk';

interface Config {
  token: string;
}

let startedAt = 0;

export default {
  authenticate(req: PluginRequest, ctx: PluginContext<Config>): Principal | null {
    const header = req.headers.authorization;
    const value = Array.isArray(header) ? header[0] : header;
    if (value !== \`Bearer \${ctx.config.token}\`) return null;
    return { id: 'developer', roles: ['user'], permissions: ['greetings:read'] };
  },
  authorize(principal: Principal, resource: string, action: string): boolean {
    return (principal.permissions ?? []).includes(\`\${resource}:\${action}\`);
  },
${lifecycle('AuthPlugin')}
`,
        manifest: configSchema('token', 'dev-token'),
        fixtures: [
          {
            name: 'accepts the configured token',
            call: { method: 'authenticate', request: { headers: { authorization: 'Bearer dev-token' } } },
            expect: { result: { id: 'developer' } },
          },
          {
            name: 'refuses a wrong token',
            call: { method: 'authenticate', request: { headers: { authorization: 'Bearer nope' } } },
            expect: { result: null },
          },
          {
            name: 'authorizes by permission',
            call: { method: 'authorize', args: [{ id: 'developer', permissions: ['greetings:read'] }, 'greetings', 'read'] },
            expect: { result: true },
          },
        ],
        test: `test('authenticates the configured token', async () => {
  const ctx = fakeContext({ token: 't' });
  assert.equal((await plugin.authenticate(request({ headers: { authorization: 'Bearer t' } }), ctx)).id, 'developer');
  assert.equal(await plugin.authenticate(request({ headers: {} }), ctx), null);
});
`,
      };
    case 'storage':
      return {
        source: `// ${id}: a storage plugin; a key-value store with TTLs (in memory here: swap in your backend).
import type { HealthStatus, PluginContext, StoragePlugin } from 'plugway/sdk';

type Config = Record<string, never>;

let startedAt = 0;
const data = new Map<string, { value: unknown; expiresAt?: number }>();

function live(key: string) {
  const e = data.get(key);
  if (e?.expiresAt !== undefined && e.expiresAt <= Date.now()) {
    data.delete(key);
    return undefined;
  }
  return e;
}

export default {
  get(key: string): unknown {
    return live(key)?.value ?? null;
  },
  set(key: string, value: unknown, ttlMs: number | undefined): void {
    data.set(key, ttlMs ? { value, expiresAt: Date.now() + ttlMs } : { value });
  },
  delete(key: string): boolean {
    return data.delete(key);
  },
  exists(key: string): boolean {
    return live(key) !== undefined;
  },
${lifecycle('StoragePlugin')}
`,
        manifest: '',
        fixtures: [
          { name: 'stores a value', call: { method: 'set', args: ['greeting', { text: 'hi' }, 60000] }, expect: {} },
          { name: 'reads it back', call: { method: 'get', args: ['greeting'] }, expect: { result: { text: 'hi' } } },
          { name: 'knows it exists', call: { method: 'exists', args: ['greeting'] }, expect: { result: true } },
          { name: 'deletes it', call: { method: 'delete', args: ['greeting'] }, expect: { result: true } },
        ],
        test: `test('set, get, exists, delete', async () => {
  const ctx = fakeContext({});
  await plugin.set('k', 1, undefined, ctx);
  assert.equal(await plugin.get('k', ctx), 1);
  assert.equal(await plugin.exists('k', ctx), true);
  assert.equal(await plugin.delete('k', ctx), true);
  assert.equal(await plugin.exists('k', ctx), false);
});
`,
      };
    case 'provider':
      return {
        source: `// ${id}: an LLM-style provider plugin; this one echoes the last user message (swap in a real API).
import type { HealthStatus, PluginContext, ProviderPlugin, ProviderRequest, ProviderResponse } from 'plugway/sdk';

interface Config {
  model: string;
}

let startedAt = 0;
let counter = 0;

export default {
  models(ctx: PluginContext<Config>): string[] {
    return [ctx.config.model];
  },
  complete(req: ProviderRequest, ctx: PluginContext<Config>): ProviderResponse {
    const last = [...req.messages].reverse().find((m) => m.role === 'user');
    const content = \`echo: \${last?.content ?? ''}\`;
    return {
      id: \`\${ctx.pluginId}-\${++counter}\`,
      provider: ctx.pluginId,
      model: req.model,
      content,
      finishReason: 'stop',
      usage: { promptTokens: req.messages.length, completionTokens: content.split(' ').length },
      costUsd: 0,
    };
  },
${lifecycle('ProviderPlugin')}
`,
        manifest: configSchema('model', 'echo-1'),
        fixtures: [
          { name: 'lists its models', call: { method: 'models' }, expect: { result: ['echo-1'] } },
          {
            name: 'completes a chat',
            call: { method: 'complete', args: [{ model: 'echo-1', messages: [{ role: 'user', content: 'hello' }] }] },
            expect: { result: { content: 'echo: hello', finishReason: 'stop' } },
          },
        ],
        test: `test('echoes the last user message', async () => {
  const ctx = fakeContext({ model: 'echo-1' });
  const res = await plugin.complete({ model: 'echo-1', messages: [{ role: 'user', content: 'hi' }] }, ctx);
  assert.equal(res.content, 'echo: hi');
});
`,
      };
    case 'router':
      return {
        source: `// ${id}: a router plugin; picks a provider among the healthy candidates that serve the model.
import type { HealthStatus, PluginContext, ProviderCandidate, ProviderRequest, RouterPlugin } from 'plugway/sdk';

type Config = Record<string, never>;

let startedAt = 0;

export default {
  selectProvider(req: ProviderRequest, candidates: ProviderCandidate[]): string | undefined {
    const usable = candidates.filter((c) => c.models.includes(req.model) && c.health !== 'unhealthy');
    if (req.preferredProvider && usable.some((c) => c.id === req.preferredProvider)) return req.preferredProvider;
    // the fastest known one first; unknown latency last
    usable.sort((a, b) => (a.meanLatencyMs ?? Infinity) - (b.meanLatencyMs ?? Infinity));
    return usable[0]?.id;
  },
${lifecycle('RouterPlugin')}
`,
        manifest: '',
        fixtures: [
          {
            name: 'picks the fastest healthy provider',
            call: {
              method: 'selectProvider',
              args: [
                { model: 'm', messages: [] },
                [
                  { id: 'slow', models: ['m'], health: 'healthy', meanLatencyMs: 90 },
                  { id: 'fast', models: ['m'], health: 'healthy', meanLatencyMs: 10 },
                  { id: 'down', models: ['m'], health: 'unhealthy', meanLatencyMs: 1 },
                ],
              ],
            },
            expect: { result: 'fast' },
          },
        ],
        test: `test('skips unhealthy providers', async () => {
  const id = await plugin.selectProvider({ model: 'm', messages: [] }, [{ id: 'a', models: ['m'], health: 'unhealthy' }, { id: 'b', models: ['m'], health: 'healthy' }], fakeContext({}));
  assert.equal(id, 'b');
});
`,
      };
    case 'diagnostics':
      return {
        source: `// ${id}: a diagnostics plugin; connects to a target, diagnoses it and reports findings.
import type { DiagnoseOptions, DiagnosticResult, DiagnosticTarget, DiagnosticsPlugin, Finding, HealthStatus, PluginContext } from 'plugway/sdk';

type Config = Record<string, never>;

let startedAt = 0;
let target: URL | undefined;

export default {
  supportedVersions: ['>=1'],
  connect(t: DiagnosticTarget): void {
    target = new URL(t.url);
  },
  disconnect(): void {
    target = undefined;
  },
  diagnose(_options: DiagnoseOptions, ctx: PluginContext<Config>): DiagnosticResult {
    const started = Date.now();
    if (!target) throw new Error('not connected: call connect(target) first');
    const findings: Finding[] = [];
    if (target.protocol !== 'https:') {
      findings.push({
        category: 'security',
        severity: 'warning',
        code: 'TARGET_NOT_TLS',
        message: \`\${target.host} is reached without TLS\`,
        evidence: { protocol: target.protocol },
        suggestion: 'use an https:// URL',
      });
    }
    return {
      plugin_id: ctx.pluginId,
      target: target.host,
      status: findings.length ? 'warning' : 'healthy',
      findings,
      metrics: { checks: 1 },
      started_at: new Date(started).toISOString(),
      duration_ms: Date.now() - started,
    };
  },
  getMetrics(): Record<string, number> {
    return { connected: target ? 1 : 0 };
  },
${lifecycle('DiagnosticsPlugin')}
`,
        manifest: '',
        fixtures: [
          { name: 'connects', call: { method: 'connect', args: [{ url: 'http://db.example:8080' }] }, expect: {} },
          {
            name: 'warns about plain http',
            call: { method: 'diagnose', args: [{}] },
            expect: { result: { status: 'warning', findings: [{ code: 'TARGET_NOT_TLS' }] } },
          },
          { name: 'reports metrics', call: { method: 'getMetrics' }, expect: { result: { connected: 1 } } },
        ],
        test: `test('diagnoses a plain http target', async () => {
  const ctx = fakeContext({});
  await plugin.connect({ url: 'http://x.example' }, ctx);
  const res = await plugin.diagnose({}, ctx);
  assert.equal(res.status, 'warning');
  await plugin.disconnect(ctx);
});
`,
      };
    case 'action':
      return {
        source: `// ${id}: an action plugin; execute() runs the actions whitelisted in plugin.yaml (actions:).
import type { ActionPlugin, HealthStatus, PluginContext } from 'plugway/sdk';

type Config = Record<string, never>;

let startedAt = 0;

export default {
  execute(action: string, params: Record<string, unknown>): unknown {
    if (action === 'greet') return { message: \`Hello, \${String(params.name ?? 'world')}!\` };
    throw new Error(\`unknown action \${action}\`);
  },
${lifecycle('ActionPlugin')}
`,
        manifest: `actions: [greet]
`,
        fixtures: [{ name: 'greets', call: { method: 'execute', args: ['greet', { name: 'Ada' }] }, expect: { result: { message: 'Hello, Ada!' } } }],
        test: `test('greets', async () => {
  assert.deepEqual(await plugin.execute('greet', { name: 'Ada' }, fakeContext({})), { message: 'Hello, Ada!' });
});
`,
      };
    case 'protocol':
      return {
        source: `// ${id}: a TCP protocol plugin; plugway listens on listen.port (plugin.yaml) and calls handle() per line.
import type { HealthStatus, PluginContext, ProtocolConnection, ProtocolPlugin } from 'plugway/sdk';

type Config = Record<string, never>;

let startedAt = 0;

export default {
  handle(line: string, _conn: ProtocolConnection): string {
    if (line.trim().toUpperCase() === 'PING') return 'PONG\\n';
    return \`ERR unknown command\\n\`;
  },
${lifecycle('ProtocolPlugin')}
`,
        manifest: `listen:
  port: 0   # 0: any free port (see the log line); set one here or in plugway.yaml
`,
        fixtures: [{ name: 'answers PING', call: { method: 'handle', args: ['PING', { id: 'c1', remoteAddress: '127.0.0.1', remotePort: 1 }] }, expect: { result: 'PONG\n' } }],
        test: `test('answers PING', async () => {
  assert.equal(await plugin.handle('PING', { id: 'c1', remoteAddress: '127.0.0.1', remotePort: 1 }), 'PONG\\n');
});
`,
      };
  }
}
