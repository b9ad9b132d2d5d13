// Rate limits over HTTP: 429 + Retry-After + RateLimit-* headers, keyed by user or client IP
// (proxy headers only when trusted), in memory and shared through the local Redis.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { serviceSkip } from '../helpers/services.js';
import { echoPlugin, http, makeHost, rl, startGateway, testConfig } from './helpers.js';
import type { HostConfig } from '../../src/host/config-types.js';

const limited = (raw: string) => [{ id: 'api', plugin: echoPlugin, manifest: { endpoints: [{ path: '/limited', method: 'GET', rateLimit: rl(raw) }] as never } }];

test('memory store: the request over N/min gets 429 with Retry-After and RateLimit-* headers', async (t) => {
  const gw = await startGateway(await makeHost(limited('3/min')));
  t.after(() => gw.close());
  const got = [];
  for (let i = 0; i < 4; i++) got.push(await http(`${gw.url}/limited`));
  assert.deepEqual(
    got.map((r) => r.status),
    [200, 200, 200, 429],
  );
  assert.equal(got[0]!.headers.get('ratelimit-limit'), '3');
  assert.equal(got[0]!.headers.get('ratelimit-remaining'), '2');
  assert.ok(Number(got[0]!.headers.get('ratelimit-reset')) <= 60);
  const refused = got[3]!;
  assert.equal(refused.json.error.code, 'PLW_ERR_RATE_LIMITED');
  const retry = Number(refused.headers.get('retry-after'));
  assert.ok(retry >= 1 && retry <= 60, String(retry));
  assert.equal(refused.headers.get('ratelimit-remaining'), '0');
});

test('client IP from X-Forwarded-For only when trust_proxy is on', async (t) => {
  const untrusted = await startGateway(await makeHost(limited('1/min')));
  t.after(() => untrusted.close());
  assert.equal((await http(`${untrusted.url}/limited`, { headers: { 'x-forwarded-for': '10.0.0.1' } })).status, 200);
  assert.equal((await http(`${untrusted.url}/limited`, { headers: { 'x-forwarded-for': '10.0.0.2' } })).status, 429, 'spoofed header ignored');

  const trusted = await startGateway(
    await makeHost(
      limited('1/min'),
      testConfig((c) => void (c.gateway.trustProxy = true)),
    ),
  );
  t.after(() => trusted.close());
  assert.equal((await http(`${trusted.url}/limited`, { headers: { 'x-forwarded-for': '10.0.0.1, 127.0.0.1' } })).status, 200);
  assert.equal((await http(`${trusted.url}/limited`, { headers: { 'x-forwarded-for': '10.0.0.2' } })).status, 200, 'another client');
  assert.equal((await http(`${trusted.url}/limited`, { headers: { 'x-real-ip': '10.0.0.1', 'x-forwarded-for': '10.0.0.1' } })).status, 429);
});

test('Redis store: two gateways share one limit', { skip: await serviceSkip('redis') }, async (t) => {
  const keyPrefix = `plw-test-${randomBytes(4).toString('hex')}`;
  const cfg = () =>
    testConfig((c: HostConfig) => {
      c.gateway.rateLimit = { store: 'redis', redisUrl: 'redis://127.0.0.1:6379', keyPrefix };
    });
  const a = await startGateway(await makeHost(limited('4/min'), cfg()));
  t.after(() => a.close());
  const b = await startGateway(await makeHost(limited('4/min'), cfg()));
  t.after(() => b.close());
  const statuses = [];
  for (let i = 0; i < 3; i++) {
    statuses.push((await http(`${a.url}/limited`)).status);
    statuses.push((await http(`${b.url}/limited`)).status);
  }
  assert.deepEqual(statuses, [200, 200, 200, 200, 429, 429]);
  const { Redis } = await import('ioredis');
  const r = new Redis('redis://127.0.0.1:6379');
  t.after(() => r.disconnect());
  const keys = await r.keys(`${keyPrefix}*`);
  assert.equal(keys.length, 1, 'one shared counter in Redis');
});
