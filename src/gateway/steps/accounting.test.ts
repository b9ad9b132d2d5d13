// The accounting and send steps: one request line per request (the version that served it, the
// status, the user), the route's metrics, and the error body with the request id for failures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stepBench } from './step-bench.test-helper.js';

test('accounting + send: one line per request, metrics by status and error code, error body with request_id', async (t) => {
  const b = await stepBench([
    {
      id: 'api',
      plugin: { handleRequest: (req: { path: string }) => (req.path === '/bad' ? { statusCode: 'x' } : { statusCode: 204, headers: { 'x-request-id': 'mine' } }) },
      manifest: {
        version: '2.1.0',
        endpoints: [
          { path: '/ok', method: 'GET' },
          { path: '/bad', method: 'GET' },
        ] as never,
      },
    },
  ]);
  t.after(() => b.close());
  const ok = await b.request('GET', '/ok', { headers: { 'x-request-id': 'req-1' } });
  assert.equal(ok.status, 204);
  assert.equal(ok.headers['x-request-id'], 'req-1', "the request id is the gateway's: a plugin cannot replace it (issue 23)");
  const bad = await b.request('GET', '/bad', { headers: { 'x-request-id': 'req-2' } });
  assert.equal(bad.status, 502);
  assert.deepEqual(bad.body.request_id, 'req-2');
  assert.equal(bad.contentType, 'application/json; charset=utf-8');
  const none = await b.request('GET', '/nowhere');
  assert.equal(none.status, 404);
  const lines = b.lines.filter((l) => 'status_code' in l);
  assert.deepEqual(
    lines.map((l) => [l.plugin_id, l.version, l.request_id, l.status_code]),
    [
      ['api', '2.1.0', 'req-1', 204],
      ['api', '2.1.0', 'req-2', 502],
      [null, null, none.headers['x-request-id'], 404],
    ],
  );
  const metrics = await b.core.metrics.registry.metrics();
  assert.match(metrics, /plugway_http_errors_total\{plugin="api",route="\/bad",code="PLW_ERR_INVALID_RESPONSE"\} 1/);
});
