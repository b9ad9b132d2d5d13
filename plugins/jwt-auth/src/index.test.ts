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
  assert.equal((await p.healthCheck!({} as never)).status, 'disabled');
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

test('a verified token answers from the cache, synchronously, until it expires', async () => {
  const p = createJwtAuth({ secret: SECRET });
  const t = await new SignJWT({ roles: ['a'] }).setProtectedHeader({ alg: 'HS256' }).setSubject('7').setExpirationTime('1h').sign(new TextEncoder().encode(SECRET));
  const req = { headers: { authorization: `Bearer ${t}` } } as never;
  const first = p.authenticate(req, {} as never);
  assert.ok(first instanceof Promise, 'the first time is verified (asynchronously)');
  const principal = await first;
  const second = p.authenticate(req, {} as never);
  assert.ok(!(second instanceof Promise), 'the second time comes from the cache');
  assert.equal(second, principal);
  assert.ok(Object.isFrozen(principal) && Object.isFrozen(principal!.roles), 'a shared principal cannot be changed by one request for the others');
  // A token signed with another secret is never a hit, even for the same subject.
  const forged = await new SignJWT({ roles: ['a'] })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('7')
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(`${SECRET}-other`));
  assert.equal(await p.authenticate({ headers: { authorization: `Bearer ${forged}` } } as never, {} as never), null);
});

test('the token cache: exp and ttl bound an entry, the oldest is evicted, 0 turns it off', async () => {
  const { TokenCache } = await import('./token-cache.js');
  const who = (id: string) => ({ id, roles: [], permissions: [] });
  const c = new TokenCache(2, 60_000);
  const now = 1_000_000_000_000;
  c.set('a', who('a'), now / 1000 + 10, now);
  assert.equal(c.get('a', now + 9_999)?.id, 'a');
  assert.equal(c.get('a', now + 10_000), undefined, 'not past exp');
  c.set('b', who('b'), undefined, now);
  assert.equal(c.get('b', now + 59_999)?.id, 'b');
  assert.equal(c.get('b', now + 60_000), undefined, 'not past the ttl');
  c.set('expired', who('x'), now / 1000 - 1, now);
  assert.equal(c.get('expired', now), undefined, 'an expired token is not remembered');
  c.set('1', who('1'), undefined, now);
  c.set('2', who('2'), undefined, now);
  c.set('3', who('3'), undefined, now);
  assert.equal(c.size, 2);
  assert.equal(c.get('1', now), undefined, 'the oldest went first');
  assert.equal(c.get('3', now)?.id, '3');
  const off = createJwtAuth({ secret: SECRET, cache_size: 0 });
  const t = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('9').sign(new TextEncoder().encode(SECRET));
  const req = { headers: { authorization: `Bearer ${t}` } } as never;
  await off.authenticate(req, {} as never);
  assert.ok(off.authenticate(req, {} as never) instanceof Promise, 'cache_size: 0 verifies every time');
});

test('a public key verifies its own algorithm only, and a token with another alg first does not lock it', async () => {
  const { generateKeyPair, exportSPKI } = await import('jose');
  const rsa = await generateKeyPair('RS256', { extractable: true });
  const ec = await generateKeyPair('ES256', { extractable: true });
  const rsaPem = await exportSPKI(rsa.publicKey);
  const p = createJwtAuth({ public_key: rsaPem });
  const auth = async (plugin: ReturnType<typeof createJwtAuth>, t: string) => plugin.authenticate({ headers: { authorization: `Bearer ${t}` } } as never, {} as never);
  const es = await new SignJWT({}).setProtectedHeader({ alg: 'ES256' }).setSubject('ec').sign(ec.privateKey);
  assert.equal(await auth(p, es), null, 'ES256 is not accepted by an RSA key');
  const rs = await new SignJWT({}).setProtectedHeader({ alg: 'RS256' }).setSubject('rsa').sign(rsa.privateKey);
  assert.equal((await auth(p, rs))?.id, 'rsa', 'a valid RS256 token still authenticates after the ES256 one');
  const ecPlugin = createJwtAuth({ public_key: await exportSPKI(ec.publicKey) });
  assert.equal((await auth(ecPlugin, es))?.id, 'ec');
  assert.equal(await auth(ecPlugin, rs), null);
  assert.throws(() => createJwtAuth({ public_key: 'not a pem' }), /not a PEM public key/);
  assert.throws(() => createJwtAuth({ public_key: rsaPem, algorithms: ['ES256'] }), /this public key allows RS256 only/);
});

test('require_exp refuses tokens that never expire; max_token_age refuses old ones', async () => {
  const key = new TextEncoder().encode(SECRET);
  const auth = (p: ReturnType<typeof createJwtAuth>, t: string) => p.authenticate({ headers: { authorization: `Bearer ${t}` } } as never, {} as never);
  const forever = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('1').sign(key);
  const expiring = await new SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setSubject('1').setIssuedAt().setExpirationTime('1h').sign(key);
  const old = await new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('1')
    .setIssuedAt(Math.floor(Date.now() / 1000) - 7200)
    .setExpirationTime('1h')
    .sign(key);
  assert.equal((await auth(createJwtAuth({ secret: SECRET }), forever))?.id, '1', 'by default exp is optional (RFC 7519)');
  const strict = createJwtAuth({ secret: SECRET, require_exp: true, max_token_age: '1h' });
  assert.equal(await auth(strict, forever), null);
  assert.equal((await auth(strict, expiring))?.id, '1');
  assert.equal(await auth(strict, old), null);
});
