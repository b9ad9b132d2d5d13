// The auth step: only on routes with auth or roles; 401 with a challenge without a principal,
// 403 for a missing role, the principal on the request when admitted, 503 when the auth plugin is down.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PluginRequest } from '../../sdk/types.js';
import { stepBench, echoPlugin } from './step-bench.test-helper.js';

const tokens: Record<string, { id: string; roles: string[] }> = { alice: { id: 'alice', roles: ['admin'] }, bob: { id: 'bob', roles: [] } };
const authPlugin = {
  async authenticate(req: PluginRequest) {
    const t = String(req.headers.authorization ?? '').replace(/^Bearer /, '');
    return tokens[t] ?? null;
  },
};

test('auth: compiled only where it applies; 401, 403, admitted with the principal; 503 when the provider is down', async (t) => {
  const b = await stepBench(
    [
      { id: 'auth', plugin: authPlugin, manifest: { kind: 'auth' } },
      {
        id: 'api',
        plugin: echoPlugin,
        manifest: {
          endpoints: [
            { path: '/open', method: 'GET' },
            { path: '/me', method: 'GET', auth: 'required' },
            { path: '/boss', method: 'GET', auth: 'required', roles: ['admin'] },
          ] as never,
        },
      },
    ],
    (c) => {
      c.gateway.auth.plugin = 'auth';
    },
  );
  t.after(() => b.close());
  assert.ok(!b.stepsOf('GET', '/open').includes('auth'));
  assert.ok(b.stepsOf('GET', '/me').includes('auth'));
  const anon = await b.request('GET', '/me');
  assert.equal(anon.status, 401);
  assert.equal(anon.headers['www-authenticate'], 'Bearer realm="plugway"');
  const wrong = await b.request('GET', '/me', { headers: { authorization: 'Bearer nobody' } });
  assert.equal(wrong.headers['www-authenticate'], 'Bearer realm="plugway", error="invalid_token"');
  const me = await b.request('GET', '/me', { headers: { authorization: 'Bearer bob' } });
  assert.equal(me.status, 200);
  assert.equal(me.body.userId, 'bob');
  const forbidden = await b.request('GET', '/boss', { headers: { authorization: 'Bearer bob' } });
  assert.equal(forbidden.status, 403);
  assert.equal(forbidden.body.error.code, 'PLW_ERR_FORBIDDEN');
  assert.equal((await b.request('GET', '/boss', { headers: { authorization: 'Bearer alice' } })).status, 200);
  await b.host.disable('auth');
  const down = await b.request('GET', '/me', { headers: { authorization: 'Bearer bob' } });
  assert.equal(down.status, 503);
  assert.equal(down.body.error.code, 'PLW_ERR_SERVICE_UNAVAILABLE');
});
