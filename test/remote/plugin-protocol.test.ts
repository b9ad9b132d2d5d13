// protocol: plugin against a service written in Python (standard library, a few lines): the
// gateway POSTs the seed's PluginRequest and serves the PluginResponse it gets back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { binarySkip, ownChild } from '../helpers/services.js';
import { http, testConfig } from '../gateway/helpers.js';
import { remoteManifest, serveRemote } from './helpers.js';

const service = fileURLToPath(new URL('../fixtures/remote/plugin_service.py', import.meta.url));
const skip = binarySkip('python3', 'python3');

const auth = {
  id: 'token-auth',
  plugin: { authenticate: (req: { headers: Record<string, unknown> }) => (req.headers.authorization === 'Bearer good' ? { id: 'user-7' } : null) },
  manifest: { kind: 'auth' as const },
};
const tagger = {
  id: 'tagger',
  plugin: { onRequest: (req: { context: Record<string, unknown> }) => void (req.context.seen = ['tagger']) },
  manifest: { kind: 'middleware' as const, middleware: { priority: 1, routes: [] } },
};

test('a Python service answers PluginRequests through the whole pipeline (auth, middleware context, log line)', { skip }, async (t) => {
  const py = ownChild(spawn('python3', [service], { stdio: ['ignore', 'pipe', 'inherit'] }));
  t.after(() => py.kill('SIGKILL'));
  const [line] = (await once(py.stdout!, 'data')) as [Buffer];
  const url = `http://127.0.0.1:${line.toString().trim()}`;
  const config = testConfig((c) => {
    c.gateway.auth.plugin = 'token-auth';
  });
  const manifest = remoteManifest(
    'py',
    { upstreams: [url], protocol: 'plugin', pluginPath: '/' },
    {
      endpoints: [
        { path: '/py/items', method: 'POST', auth: 'required' },
        { path: '/py/broken', method: 'GET' },
      ],
      healthCheck: { endpoint: '/health', intervalMs: 60_000, timeoutMs: 2000 },
    },
  );
  const s = await serveRemote('py', manifest, config, [auth, tagger]);
  t.after(() => s.close());

  const r = await http(`${s.gw.url}/py/items?limit=5`, { method: 'POST', json: { name: 'x', n: 1 }, headers: { authorization: 'Bearer good', 'x-request-id': 'py-1' } });
  assert.equal(r.status, 201);
  assert.equal(r.headers.get('x-service'), 'python');
  assert.deepEqual(r.json, { id: 'py-1', method: 'POST', path: '/py/items', user_id: 'user-7', echo: { name: 'x', n: 1 }, seen: ['tagger'], query: { limit: '5' } });

  assert.equal((await http(`${s.gw.url}/py/items`, { method: 'POST', json: {} })).status, 401);

  const broken = await http(`${s.gw.url}/py/broken`);
  assert.equal(broken.status, 502);
  assert.equal(broken.json.error.code, 'PLW_ERR_INVALID_RESPONSE');

  assert.equal((await s.host.checkHealth('py')).status, 'healthy');
  const lines = s.gw.logs.requestLines().filter((l) => l.plugin_id === 'py');
  assert.deepEqual(
    lines.map((l) => [l.status_code, l.user_id]),
    [
      [201, 'user-7'],
      [401, null],
      [502, null],
    ],
  );
});
