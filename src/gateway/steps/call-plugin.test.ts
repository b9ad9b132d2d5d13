// The call step: the handler's answer checked, a thrown error hidden from the client (500, the
// reason in the log), the breaker opened by failures and refusing with 503 PLW_ERR_CIRCUIT_OPEN.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stepBench } from './step-bench.test-helper.js';

test('call: sync and async answers, a throw is a 500 without the reason, failures open the breaker', async (t) => {
  const b = await stepBench(
    [
      {
        id: 'api',
        plugin: {
          handleRequest(req: { path: string }) {
            if (req.path === '/sync') return { statusCode: 200, body: { via: 'sync' } };
            if (req.path === '/async') return Promise.resolve({ statusCode: 200, body: { via: 'async' } });
            throw new Error('postgres://secret@db failed');
          },
        },
        manifest: {
          endpoints: [
            { path: '/sync', method: 'GET' },
            { path: '/async', method: 'GET' },
            { path: '/throw', method: 'GET' },
          ] as never,
        },
      },
    ],
    (c) => {
      c.gateway.circuitBreaker.failureThreshold = 2;
    },
  );
  t.after(() => b.close());
  assert.deepEqual((await b.request('GET', '/sync')).body, { via: 'sync' });
  assert.deepEqual((await b.request('GET', '/async')).body, { via: 'async' });
  const thrown = await b.request('GET', '/throw');
  assert.equal(thrown.status, 500);
  assert.doesNotMatch(JSON.stringify(thrown.body), /secret/);
  await b.request('GET', '/throw');
  const open = await b.request('GET', '/sync');
  assert.equal(open.status, 503);
  assert.equal(open.body.error.code, 'PLW_ERR_CIRCUIT_OPEN');
  assert.ok(open.headers['retry-after']);
});
