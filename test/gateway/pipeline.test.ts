// The request pipeline over real HTTP: middleware order, short-circuit and response change,
// hooks, and every error status with its JSON body (404, 400, 413, 500, 502, 503, 504),
// circuit breaker opening and closing, bulkhead.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PluginRequest, PluginResponse } from '../../src/sdk/types.js';
import { echoPlugin, http, makeHost, startGateway, testConfig } from './helpers.js';
import { waitFor } from '../helpers/wait.js';

const mw = (name: string, trail: string[], extra: Record<string, unknown> = {}) => ({
  onRequest(req: PluginRequest) {
    trail.push(`in:${name}`);
    (req.context.seen as string[] | undefined)?.push(name) ?? (req.context.seen = [name]);
    if (req.headers['x-stop'] === name) return { statusCode: 418, body: { stoppedBy: name } };
    return undefined;
  },
  onResponse(_req: PluginRequest, res: PluginResponse) {
    trail.push(`out:${name}`);
    return { ...res, headers: { ...(res.headers ?? {}), [`x-${name}`]: 'yes' } };
  },
  ...extra,
});

test('middleware: highest priority first in, lowest first out; route globs; short-circuit; response change; config priority', async (t) => {
  const trail: string[] = [];
  const config = testConfig((c) => {
    // Config priority beats the manifest's (c drops from 1 to 300: first).
    c.plugins.configs.c = { enabled: true, config: {}, dependencies: [], roles: [], required: true, flags: {}, priority: 300 };
  });
  const host = await makeHost(
    [
      {
        id: 'api',
        plugin: echoPlugin,
        manifest: {
          endpoints: [
            { path: '/api/things', method: 'GET' },
            { path: '/other', method: 'GET' },
          ] as never,
        },
      },
      { id: 'a', plugin: mw('a', trail), manifest: { kind: 'middleware', middleware: { priority: 200, routes: [] } } },
      { id: 'b', plugin: mw('b', trail), manifest: { kind: 'middleware', middleware: { priority: 100, routes: ['/api/*'] } } },
      { id: 'c', plugin: mw('c', trail), manifest: { kind: 'middleware', middleware: { priority: 1, routes: [] } } },
    ],
    config,
  );
  const gw = await startGateway(host);
  t.after(() => gw.close());
  const r = await http(`${gw.url}/api/things`);
  assert.equal(r.status, 200);
  assert.deepEqual(r.json.context.seen, ['c', 'a', 'b']);
  assert.deepEqual(trail, ['in:c', 'in:a', 'in:b', 'out:b', 'out:a', 'out:c']);
  assert.equal(r.headers.get('x-a'), 'yes');
  assert.equal(r.headers.get('x-b'), 'yes');

  trail.length = 0;
  const other = await http(`${gw.url}/other`);
  assert.deepEqual(other.json.context.seen, ['c', 'a'], 'b is scoped to /api/*');
  assert.equal(other.headers.get('x-b'), null);

  trail.length = 0;
  const stopped = await http(`${gw.url}/api/things`, { headers: { 'x-stop': 'a' } });
  assert.equal(stopped.status, 418);
  assert.deepEqual(stopped.json, { stoppedBy: 'a' });
  assert.deepEqual(trail, ['in:c', 'in:a', 'out:c'], 'handler and inner middleware skipped; outer ones see the answer');
});

test('hooks: onRequest, onResponse and onError fire with their payloads and stats', async (t) => {
  const host = await makeHost([
    { id: 'ok', plugin: echoPlugin, manifest: { endpoints: [{ path: '/ok', method: 'GET' }] as never } },
    {
      id: 'bad',
      plugin: {
        handleRequest() {
          throw new Error('kaput');
        },
      },
      manifest: { endpoints: [{ path: '/bad', method: 'GET' }] as never },
    },
  ]);
  const seen: string[] = [];
  host.hooks.add('onRequest', (p: { pluginId: string }) => void seen.push(`req:${p.pluginId}`));
  host.hooks.add('onResponse', (p: { pluginId: string; response: { statusCode: number } }) => void seen.push(`res:${p.pluginId}:${p.response.statusCode}`));
  host.hooks.add('onError', (p: { pluginId: string; error: { code: string } }) => void seen.push(`err:${p.pluginId}:${p.error.code}`));
  const gw = await startGateway(host);
  t.after(() => gw.close());
  await http(`${gw.url}/ok`);
  await http(`${gw.url}/bad`);
  assert.deepEqual(seen, ['req:ok', 'res:ok:200', 'req:bad', 'err:bad:PLW_ERR_PLUGIN_THREW']);
  const stats = host.hooks.stats();
  assert.equal(stats.onRequest?.count, 2);
  const metrics = await http(`${gw.url}/metrics`);
  assert.match(metrics.text, /plugway_hook_duration_seconds_count\{hook="onRequest"\} 2/);
});

test('errors: 404, 400, 413, 500, 502, 504 — JSON with code and request id, never a stack', async (t) => {
  const config = testConfig((c) => {
    c.gateway.bodyLimit = 1024;
    c.plugins.configs.slow = { enabled: true, config: {}, dependencies: [], roles: [], required: true, flags: {}, timeoutMs: 100 };
  });
  const host = await makeHost(
    [
      { id: 'echo', plugin: echoPlugin, manifest: { endpoints: [{ path: '/echo', method: 'POST' }] as never } },
      {
        id: 'thrower',
        plugin: {
          handleRequest() {
            throw new Error('database exploded');
          },
        },
        manifest: { endpoints: [{ path: '/throw', method: 'GET' }] as never },
      },
      {
        id: 'liar',
        plugin: {
          handleRequest() {
            return { statusCode: 'two hundred' };
          },
        },
        manifest: { endpoints: [{ path: '/liar', method: 'GET' }] as never },
      },
      {
        id: 'slow',
        plugin: { handleRequest: () => new Promise((r) => setTimeout(() => r({ statusCode: 200 }), 2_000).unref()) },
        manifest: { endpoints: [{ path: '/slow', method: 'GET' }] as never },
      },
    ],
    config,
  );
  const gw = await startGateway(host);
  t.after(() => gw.close());
  const check = (r: { status: number; json: any; text: string }, status: number, code: string) => {
    assert.equal(r.status, status, r.text);
    assert.equal(r.json.error.code, code);
    assert.equal(typeof r.json.error.message, 'string');
    assert.equal(typeof r.json.request_id, 'string');
    assert.doesNotMatch(r.text, /\s+at\s+\S+\s+\(|\.ts:\d+/, 'no stack trace');
  };
  check(await http(`${gw.url}/nowhere`), 404, 'PLW_ERR_ROUTE_NOT_FOUND');
  check(await http(`${gw.url}/echo`, { method: 'POST', body: '{"a":', headers: { 'content-type': 'application/json' } }), 400, 'PLW_ERR_BAD_REQUEST');
  check(await http(`${gw.url}/echo`, { method: 'POST', json: { big: 'x'.repeat(5000) } }), 413, 'PLW_ERR_BODY_TOO_LARGE');
  // A malformed URL fails before routing (Fastify's frameworkErrors): the same body, code and request id.
  const badUrl = await http(`${gw.url}/echo/%E0%A4%A`, { headers: { 'x-request-id': 'bad-url-1' } });
  check(badUrl, 400, 'PLW_ERR_BAD_REQUEST');
  assert.equal(badUrl.json.request_id, 'bad-url-1');
  const thrown = await http(`${gw.url}/throw`);
  check(thrown, 500, 'PLW_ERR_PLUGIN_THREW');
  assert.doesNotMatch(thrown.text, /database exploded/, "the plugin's own error text stays in the log");
  assert.match(thrown.json.error.message, /gateway log/);
  check(await http(`${gw.url}/liar`), 502, 'PLW_ERR_INVALID_RESPONSE');
  check(await http(`${gw.url}/slow`), 504, 'PLW_ERR_PLUGIN_TIMEOUT');
  // The process is fine afterwards.
  assert.equal((await http(`${gw.url}/echo`, { method: 'POST', json: { ok: true } })).status, 200);
});

test('circuit breaker opens after the threshold (503 + Retry-After) and closes after a good trial', async (t) => {
  let failing = true;
  const config = testConfig((c) => {
    c.gateway.circuitBreaker = { failureThreshold: 3, openTimeoutMs: 300, halfOpenLimit: 1 };
  });
  const host = await makeHost(
    [
      {
        id: 'flaky',
        plugin: {
          handleRequest() {
            if (failing) throw new Error('down');
            return { statusCode: 200, body: 'up' };
          },
        },
        manifest: { endpoints: [{ path: '/flaky', method: 'GET' }] as never },
      },
    ],
    config,
  );
  const changes: string[] = [];
  host.events.on('gateway.circuit_changed', (e) => void changes.push((e.data as { to: string }).to));
  const gw = await startGateway(host);
  t.after(() => gw.close());
  for (let i = 0; i < 3; i++) assert.equal((await http(`${gw.url}/flaky`)).status, 500);
  const open = await http(`${gw.url}/flaky`);
  assert.equal(open.status, 503);
  assert.equal(open.json.error.code, 'PLW_ERR_CIRCUIT_OPEN');
  assert.ok(Number(open.headers.get('retry-after')) >= 1);
  assert.match((await http(`${gw.url}/metrics`)).text, /plugway_circuit_state\{plugin="flaky"\} 1/);
  failing = false;
  // The open timeout is the mechanism under test: poll until the half-open trial goes through.
  const r = await waitFor(
    async () => {
      const x = await http(`${gw.url}/flaky`);
      return x.status !== 503 && x;
    },
    { what: 'the half-open trial' },
  );
  assert.equal(r.status, 200);
  assert.equal(r.text, 'up');
  assert.deepEqual(changes, ['open', 'half_open', 'closed']);
  assert.match((await http(`${gw.url}/metrics`)).text, /plugway_circuit_state\{plugin="flaky"\} 0/);
});

test('bulkhead: calls beyond max_concurrent get 503 PLW_ERR_BULKHEAD_FULL', async (t) => {
  const releases: Array<() => void> = [];
  let entered!: () => void;
  const inside = new Promise<void>((r) => (entered = r));
  const config = testConfig((c) => {
    c.gateway.bulkhead = { maxConcurrent: 1, queue: 0 };
  });
  const host = await makeHost(
    [
      {
        id: 'narrow',
        plugin: {
          handleRequest: () =>
            new Promise((r) => {
              releases.push(() => r({ statusCode: 200, body: 'done' }));
              entered();
            }),
        },
        manifest: { endpoints: [{ path: '/narrow', method: 'GET' }] as never },
      },
    ],
    config,
  );
  const gw = await startGateway(host);
  t.after(() => gw.close());
  const first = http(`${gw.url}/narrow`);
  await inside;
  const second = await http(`${gw.url}/narrow`);
  assert.equal(second.status, 503);
  assert.equal(second.json.error.code, 'PLW_ERR_BULKHEAD_FULL');
  releases[0]!();
  assert.equal((await first).status, 200);
  assert.match((await http(`${gw.url}/metrics`)).text, /plugway_bulkhead_rejected_total\{plugin="narrow"\} 1/);
});
