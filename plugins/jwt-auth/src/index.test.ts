import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SignJWT } from 'jose';
import createJwtAuth from './index.js';

const SECRET = 'a-test-secret-that-is-at-least-32-bytes-long';

test('config mistakes are refused at creation', () => {
  assert.throws(() => createJwtAuth({ secret: 'short' }), /at least 32 bytes/);
  assert.throws(() => createJwtAuth({ secret: SECRET, jwks_url: 'http://127.0.0.1/jwks' }), /exactly one/);
  assert.throws(() => createJwtAuth({ secret: SECRET, algorithms: ['RS256'] }), /do not fit/);
});

test('no key: degraded health and every token refused', async () => {
  const p = createJwtAuth({});
  assert.equal((await p.healthCheck!({} as never)).status, 'degraded');
  const t = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('x').sign(new TextEncoder().encode(SECRET));
  assert.equal(await p.authenticate({ headers: { authorization: `Bearer ${t}` } } as never, {} as never), null);
});

test('claims map to the principal: sub, roles, permissions or scope', async () => {
  const p = createJwtAuth({ secret: SECRET });
  const t = await new SignJWT({ roles: ['a', 'b'], scope: 'x:read y:write' }).setProtectedHeader({ alg: 'HS256' }).setSubject('42').sign(new TextEncoder().encode(SECRET));
  const principal = await p.authenticate({ headers: { authorization: `Bearer ${t}` } } as never, {} as never);
  assert.equal(principal?.id, '42');
  assert.deepEqual(principal?.roles, ['a', 'b']);
  assert.deepEqual(principal?.permissions, ['x:read', 'y:write']);
  assert.equal(await p.authenticate({ headers: {} } as never, {} as never), null);
});
