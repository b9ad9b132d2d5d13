// plugway.yaml `routes:`: a plain proxy route in front of an existing API, with the same pipeline
// as plugins (auth, rate limit, middleware, log line), prefix strip and rewrite; bad routes are
// refused when the config loads, with the file position.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadHostConfig } from '../../src/host/config.js';
import { createHost } from '../../src/host/index.js';
import { http, startGateway, tmpDir } from '../gateway/helpers.js';
import { startUpstream } from './helpers.js';

test('a routes: entry proxies a prefix with auth, rate limit, middleware, strip and rewrite', async (t) => {
  const api = await startUpstream('legacy');
  const dir = await tmpDir('routes');
  const file = join(dir, 'plugway.yaml');
  await writeFile(
    file,
    `gateway:
  auth: { plugin: token-auth }
routes:
  - name: legacy-api
    path: /legacy
    methods: [GET, POST]
    upstreams: [${api.url}]
    strip_prefix: /legacy
    rewrite_prefix: /v1
    auth: required
    rate_limit: 3/min
    timeout: 5s
`,
  );
  const config = await loadHostConfig({ file, env: {} });
  assert.equal(config.routes!.length, 1);
  const host = createHost({ config, logger: pino({ level: 'silent' }) });
  host.registerBuiltin('token-auth', { authenticate: (req: { headers: Record<string, unknown> }) => (req.headers.authorization === 'Bearer t' ? { id: 'u9' } : null) }, { kind: 'auth' });
  host.registerBuiltin(
    'stamp',
    { onRequest: (req: { headers: Record<string, unknown> }) => void (req.headers['x-stamped'] = 'yes') },
    { kind: 'middleware', middleware: { priority: 1, routes: ['/legacy/*'] } },
  );
  await host.start();
  const gw = await startGateway(host);
  t.after(async () => {
    await gw.close();
    await host.stop();
    await api.close();
  });
  assert.equal(host.get('legacy-api')!.manifest.runtime.type, 'remote');
  const auth = { authorization: 'Bearer t' };
  const r = await http(`${gw.url}/legacy/orders/7?x=1`, { headers: auth });
  assert.equal(r.status, 200);
  assert.equal(r.json.url, '/v1/orders/7?x=1');
  assert.equal(r.json.headers['x-stamped'], 'yes', 'middleware ran before the proxy');
  const root = await http(`${gw.url}/legacy`, { headers: auth });
  assert.equal(root.json.url, '/v1');
  const post = await http(`${gw.url}/legacy/orders`, { method: 'POST', json: { a: 1 }, headers: auth });
  assert.equal(post.json.body, '{"a":1}');
  assert.equal((await http(`${gw.url}/legacy/orders`, { method: 'DELETE', headers: auth })).status, 404);
  assert.equal((await http(`${gw.url}/legacy/orders`)).status, 401);
  const limited = await http(`${gw.url}/legacy/orders/7`, { headers: auth });
  assert.equal(limited.status, 429);
  assert.equal(limited.json.error.code, 'PLW_ERR_RATE_LIMITED');
  const lines = gw.logs.requestLines().filter((l) => l.plugin_id === 'legacy-api');
  assert.deepEqual(
    lines.map((l) => l.status_code),
    [200, 200, 200, 401, 429],
    'one 3/min budget for the whole route',
  );
});

test('a route without upstreams, or with an unknown key, is refused at load with file:line', async () => {
  const dir = await tmpDir('routes-bad');
  const file = join(dir, 'plugway.yaml');
  await writeFile(
    file,
    `routes:
  - name: broken
    path: /b
    balanse: round-robin
`,
  );
  await assert.rejects(loadHostConfig({ file, env: {} }), (err: { code: string; message: string }) => {
    assert.equal(err.code, 'PLW_ERR_CONFIG_INVALID');
    assert.match(err.message, /routes\[0\]/);
    assert.match(err.message, /upstreams/);
    assert.match(err.message, /balanse.*did you mean "balance"/s);
    assert.match(err.message, new RegExp(`${file.replace(/[.]/g, '\\.')}:\\d+:\\d+`));
    return true;
  });
});
