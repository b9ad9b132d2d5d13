// Auth over real HTTP: the built-in jwt-auth plugin (HS256, RS256, ES256, JWKS URL, issuer,
// audience, clock skew, alg none and algorithm confusion refused) and RBAC (401/403).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, exportSPKI, generateKeyPair, base64url } from 'jose';
import { createHmac } from 'node:crypto';
import createJwtAuth from '../../plugins/jwt-auth/src/index.js';
import { echoPlugin, http, makeHost, startGateway, testConfig, type RunningGateway } from './helpers.js';
import type { HostConfig } from '../../src/host/config-types.js';

const SECRET = 'a-test-secret-that-is-at-least-32-bytes-long';
const override = (config: Record<string, unknown>, extra: Partial<HostConfig['plugins']['configs'][string]> = {}) => ({
  enabled: true,
  config,
  dependencies: [],
  roles: [],
  required: true,
  flags: {},
  ...extra,
});

async function gatewayWith(jwtConfig: Record<string, unknown>, opts: { pluginRoles?: string[] } = {}): Promise<RunningGateway> {
  const config = testConfig((c) => {
    c.gateway.auth.plugin = 'jwt-auth';
    c.plugins.configs['jwt-auth'] = override(jwtConfig);
    if (opts.pluginRoles) c.plugins.configs['staff'] = override({}, { roles: opts.pluginRoles });
  });
  const host = await makeHost(
    [
      { id: 'jwt-auth', plugin: createJwtAuth, manifest: { kind: 'auth' } },
      {
        id: 'api',
        plugin: echoPlugin,
        manifest: {
          endpoints: [
            { path: '/me', method: 'GET', auth: 'required' },
            { path: '/maybe', method: 'GET', auth: 'optional' },
            { path: '/admin-only', method: 'GET', auth: 'required', roles: ['admin'] },
            { path: '/reports', method: 'GET', auth: 'required', permissions: ['reports:read'] },
          ] as never,
        },
      },
      { id: 'staff', plugin: echoPlugin, manifest: { endpoints: [{ path: '/staff', method: 'GET', auth: 'required' }] as never } },
    ],
    config,
  );
  return startGateway(host);
}

const hs = (claims: Record<string, unknown> = {}, secret = SECRET) =>
  new SignJWT({ roles: ['user'], ...claims }).setProtectedHeader({ alg: 'HS256' }).setSubject('u-1').setIssuedAt().setExpirationTime('5m').sign(new TextEncoder().encode(secret));
const bearer = (t: string) => ({ headers: { authorization: `Bearer ${t}` } });

test('HS256: valid token → 200 with the user; none → 401 + WWW-Authenticate; wrong key → 401 invalid_token', async (t) => {
  const gw = await gatewayWith({ secret: SECRET, issuer: 'plugway-test', audience: 'api' });
  t.after(() => gw.close());
  const good = await hs({ iss: 'plugway-test', aud: 'api' });
  const ok = await http(`${gw.url}/me`, bearer(good));
  assert.equal(ok.status, 200);
  assert.equal(ok.json.userId, 'u-1');

  const none = await http(`${gw.url}/me`);
  assert.equal(none.status, 401);
  assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="plugway"');
  assert.equal(none.json.error.code, 'PLW_ERR_UNAUTHENTICATED');

  const wrong = await http(`${gw.url}/me`, bearer(await hs({ iss: 'plugway-test', aud: 'api' }, 'another-secret-that-is-also-32-bytes-long!!')));
  assert.equal(wrong.status, 401);
  assert.match(wrong.headers.get('www-authenticate')!, /error="invalid_token"/);

  assert.equal((await http(`${gw.url}/me`, bearer(await hs({ iss: 'someone-else', aud: 'api' })))).status, 401, 'issuer checked');
  assert.equal((await http(`${gw.url}/me`, bearer(await hs({ iss: 'plugway-test', aud: 'other' })))).status, 401, 'audience checked');

  // alg: none, hand-made (jose refuses to make one for verification).
  const unsigned = `${base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${base64url.encode(JSON.stringify({ sub: 'evil', iss: 'plugway-test', aud: 'api', exp: Math.floor(Date.now() / 1000) + 60 }))}.`;
  assert.equal((await http(`${gw.url}/me`, bearer(unsigned))).status, 401, 'alg none refused');
});

test('clock skew: expired within the tolerance passes, beyond it fails', async (t) => {
  const gw = await gatewayWith({ secret: SECRET, clock_skew: 60 });
  t.after(() => gw.close());
  const now = Math.floor(Date.now() / 1000);
  const key = new TextEncoder().encode(SECRET);
  const at = (exp: number) =>
    new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('u-2')
      .setIssuedAt(now - 600)
      .setExpirationTime(exp)
      .sign(key);
  assert.equal((await http(`${gw.url}/me`, bearer(await at(now - 30)))).status, 200);
  assert.equal((await http(`${gw.url}/me`, bearer(await at(now - 120)))).status, 401);
});

test('RS256 with a PEM key; HS256 signed with the public key (algorithm confusion) is refused', async (t) => {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
  const pem = await exportSPKI(publicKey);
  const gw = await gatewayWith({ public_key: pem });
  t.after(() => gw.close());
  const good = await new SignJWT({}).setProtectedHeader({ alg: 'RS256' }).setSubject('rsa-user').setExpirationTime('1m').sign(privateKey);
  const r = await http(`${gw.url}/me`, bearer(good));
  assert.equal(r.status, 200);
  assert.equal(r.json.userId, 'rsa-user');
  // The classic attack: sign HS256 with the PEM text of the public key as the HMAC secret.
  const header = base64url.encode(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const payload = base64url.encode(JSON.stringify({ sub: 'attacker', exp: Math.floor(Date.now() / 1000) + 60 }));
  const sig = base64url.encode(createHmac('sha256', pem).update(`${header}.${payload}`).digest());
  assert.equal((await http(`${gw.url}/me`, bearer(`${header}.${payload}.${sig}`))).status, 401);
});

test('ES256 through a JWKS URL served locally', async (t) => {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  let fetched = 0;
  const jwks = createServer((_req, res) => {
    fetched++;
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  jwks.listen(0, '127.0.0.1');
  await once(jwks, 'listening');
  t.after(() => jwks.close());
  const gw = await gatewayWith({ jwks_url: `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/.well-known/jwks.json` });
  t.after(() => gw.close());
  const token = await new SignJWT({ roles: ['admin'] }).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setSubject('ec-user').setExpirationTime('1m').sign(privateKey);
  const r = await http(`${gw.url}/admin-only`, bearer(token));
  assert.equal(r.status, 200);
  assert.equal(r.json.userId, 'ec-user');
  assert.ok(fetched >= 1);
  const { privateKey: other } = await generateKeyPair('ES256');
  const forged = await new SignJWT({}).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setSubject('x').setExpirationTime('1m').sign(other);
  assert.equal((await http(`${gw.url}/me`, bearer(forged))).status, 401);
});

test('RBAC: endpoint roles and permissions → 403; plugin role allow-list; optional auth', async (t) => {
  const gw = await gatewayWith({ secret: SECRET }, { pluginRoles: ['staff'] });
  t.after(() => gw.close());
  const user = await hs({ roles: ['user'], permissions: ['reports:read'] });
  const admin = await hs({ roles: ['admin'] });
  const forbidden = await http(`${gw.url}/admin-only`, bearer(user));
  assert.equal(forbidden.status, 403);
  assert.equal(forbidden.json.error.code, 'PLW_ERR_FORBIDDEN');
  assert.match(forbidden.headers.get('www-authenticate')!, /insufficient_scope/);
  assert.equal((await http(`${gw.url}/admin-only`, bearer(admin))).status, 200);
  assert.equal((await http(`${gw.url}/reports`, bearer(user))).status, 200);
  assert.equal((await http(`${gw.url}/reports`, bearer(admin))).status, 403);
  assert.equal((await http(`${gw.url}/reports`, bearer(await hs({ permissions: ['reports:*'] })))).status, 200, 'resource wildcard');
  assert.equal((await http(`${gw.url}/staff`, bearer(user))).status, 403, 'plugin allow-list');
  assert.equal((await http(`${gw.url}/staff`, bearer(await hs({ roles: ['staff'] })))).status, 200);
  const anon = await http(`${gw.url}/maybe`);
  assert.equal(anon.status, 200);
  assert.equal(anon.json.userId, null);
  assert.equal((await http(`${gw.url}/maybe`, bearer(user))).json.userId, 'u-1');
});
