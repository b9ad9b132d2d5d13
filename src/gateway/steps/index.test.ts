// Compiling a route: only the steps that apply, in the documented order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stepBench, echoPlugin, rl } from './step-bench.test-helper.js';

test('a plain route compiles to accounting, send, error-text, sandbox, serialize, availability, call; a full one adds middleware, auth, rate limit in order', async (t) => {
  const b = await stepBench(
    [
      { id: 'auth', plugin: { authenticate: () => ({ id: 'u' }) }, manifest: { kind: 'auth' } },
      { id: 'mw', plugin: { onRequest: () => undefined }, manifest: { kind: 'middleware', middleware: { priority: 1, routes: ['/full'] } } },
      {
        id: 'api',
        plugin: echoPlugin,
        manifest: {
          endpoints: [
            { path: '/plain', method: 'GET' },
            { path: '/full', method: 'GET', auth: 'required', rateLimit: rl('5/s') },
          ] as never,
        },
      },
    ],
    (c) => {
      c.gateway.auth.plugin = 'auth';
    },
  );
  t.after(() => b.close());
  assert.deepEqual(b.stepsOf('GET', '/plain'), ['accounting', 'send', 'error-text', 'sandbox', 'serialize', 'availability', 'circuit-breaker', 'call']);
  assert.deepEqual(b.stepsOf('GET', '/full'), ['accounting', 'send', 'error-text', 'sandbox', 'serialize', 'availability', 'middleware:mw', 'auth', 'rate-limit', 'circuit-breaker', 'call']);
});
