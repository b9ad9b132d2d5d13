// One log line per request with exactly the seed's fields, secrets redacted; /metrics output.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { echoPlugin, http, makeHost, startGateway, testConfig } from './helpers.js';

test('one JSON log line per request with exactly the seed fields; Authorization never appears', async (t) => {
  const host = await makeHost([
    { id: 'echo', plugin: echoPlugin, manifest: { version: '2.3.4', endpoints: [{ path: '/echo/{x}', method: 'GET' }] as never } },
    {
      id: 'bad',
      plugin: {
        handleRequest() {
          throw new Error('password=hunter2 leaked?');
        },
      },
      manifest: { endpoints: [{ path: '/bad', method: 'GET' }] as never },
    },
  ]);
  const gw = await startGateway(host);
  t.after(() => gw.close());
  await http(`${gw.url}/echo/1`, { headers: { authorization: 'Bearer super-secret-token', 'x-request-id': 'req-log-1' } });
  await http(`${gw.url}/missing`);
  await http(`${gw.url}/bad`, { headers: { authorization: 'Bearer super-secret-token' } });
  const lines = gw.logs.requestLines();
  assert.equal(lines.length, 3);
  const fields = ['level', 'plugin_id', 'version', 'request_id', 'method', 'path', 'user_id', 'response_time_ms', 'status_code'];
  for (const l of lines) assert.deepEqual(Object.keys(l).sort(), [...fields].sort(), 'exactly the nine fields');
  assert.deepEqual(
    { ...lines[0], time: undefined, response_time_ms: undefined },
    {
      level: 'info',
      plugin_id: 'echo',
      version: '2.3.4',
      request_id: 'req-log-1',
      method: 'GET',
      path: '/echo/1',
      user_id: null,
      response_time_ms: undefined,
      status_code: 200,
      time: undefined,
    },
  );
  assert.equal(typeof lines[0]!.response_time_ms, 'number');
  assert.equal(lines[1]!.status_code, 404);
  assert.equal(lines[1]!.plugin_id, null);
  assert.equal(lines[2]!.status_code, 500);
  assert.ok(!gw.logs.raw.includes('super-secret-token'), 'no token in any log line');
});

test('redaction: secret-looking keys in logged objects are censored', async () => {
  const { createRequestLogger, redactSecrets } = await import('../../src/gateway/logging.js');
  const { LogCapture } = await import('./helpers.js');
  const cap = new LogCapture();
  const log = createRequestLogger({ destination: cap });
  log.info({ headers: { authorization: 'Bearer abc' }, config: { password: 'pw1' }, token: 't1' }, 'x');
  await new Promise((r) => setImmediate(r));
  assert.ok(!/abc|pw1|t1"/.test(cap.raw), cap.raw);
  assert.deepEqual(redactSecrets({ url: 'redis://x', password: 'p', nested: { api_key: 'k', list: [{ secret: 's' }] } }), {
    url: 'redis://x',
    password: '[REDACTED]',
    nested: { api_key: '[REDACTED]', list: [{ secret: '[REDACTED]' }] },
  });
});

test('/metrics: Prometheus text with requests by status, errors, latency, state, health, breaker, rate limits, process', async (t) => {
  const { rl } = await import('./helpers.js');
  const host = await makeHost(
    [
      { id: 'echo', plugin: echoPlugin, manifest: { endpoints: [{ path: '/e', method: 'GET', rateLimit: rl('2/min') }] as never } },
      {
        id: 'bad',
        plugin: {
          handleRequest() {
            throw new Error('x');
          },
        },
        manifest: { endpoints: [{ path: '/bad', method: 'GET' }] as never },
      },
    ],
    testConfig(),
  );
  const gw = await startGateway(host);
  t.after(() => gw.close());
  for (let i = 0; i < 3; i++) await http(`${gw.url}/e`);
  await http(`${gw.url}/bad`);
  for (const path of ['/health', '/ready', '/metrics']) {
    const r = await http(`${gw.url}${path}`, { headers: { 'x-request-id': `rid-${path.slice(1)}` } });
    assert.equal(r.headers.get('x-request-id'), `rid-${path.slice(1)}`, `${path} echoes X-Request-Id`);
    assert.match((await http(`${gw.url}${path}`)).headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/, `${path} generates one`);
  }
  const m = await http(`${gw.url}/metrics`);
  assert.match(m.headers.get('content-type')!, /text\/plain/);
  const t1 = m.text;
  assert.match(t1, /plugway_http_requests_total\{plugin="echo",route="\/e",method="GET",status="200"\} 2/);
  assert.match(t1, /plugway_http_requests_total\{plugin="echo",route="\/e",method="GET",status="429"\} 1/);
  assert.match(t1, /plugway_http_errors_total\{plugin="bad",route="\/bad",code="PLW_ERR_PLUGIN_THREW"\} 1/);
  assert.match(t1, /plugway_http_request_duration_seconds_bucket\{le="0.005",plugin="echo",route="\/e"\} \d+/);
  assert.match(t1, /plugway_rate_limited_total\{plugin="echo",route="\/e"\} 1/);
  assert.match(t1, /plugway_plugin_state\{plugin="echo",state="running"\} 1/);
  assert.match(t1, /plugway_plugin_health\{plugin="echo",health="/);
  assert.match(t1, /plugway_circuit_state\{plugin="bad"\} 0/);
  assert.match(t1, /plugway_process_resident_memory_bytes \d+/);
});

test('logging.timestamp: true adds pino time to the request line', async (t) => {
  const host = await makeHost(
    [{ id: 'echo', plugin: echoPlugin, manifest: { endpoints: [{ path: '/t', method: 'GET' }] as never } }],
    testConfig((c) => {
      c.logging.timestamp = true;
    }),
  );
  const gw = await startGateway(host);
  t.after(() => gw.close());
  await http(`${gw.url}/t`);
  const [line] = gw.logs.requestLines();
  assert.equal(typeof line?.time, 'number');
  assert.ok(Math.abs(Number(line!.time) - Date.now()) < 60_000);
});
