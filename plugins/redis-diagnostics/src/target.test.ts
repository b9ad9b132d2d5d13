// Target parsing: URL forms, credentials, TLS, sentinel and cluster modes, bad targets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planConnection } from './target.js';

test('host:port, redis:// with credentials and db, rediss:// turns TLS on', () => {
  assert.deepEqual(planConnection('localhost:6379', 1000).endpoints, [{ host: 'localhost', port: 6379 }]);
  const p = planConnection('redis://app:p%40ss@10.0.0.1:6380/2', 1000);
  assert.deepEqual([p.mode, p.base.username, p.base.password, p.base.db, p.label], ['standalone', 'app', 'p@ss', 2, 'redis://10.0.0.1:6380']);
  assert.deepEqual(planConnection('rediss://h', 1000).base.tls, {});
  assert.equal(planConnection({ url: 'h:1', tls: { rejectUnauthorized: false } }, 1000).label, 'rediss://h:1');
});

test('sentinel and cluster modes from the URL or from options', () => {
  const s = planConnection('redis+sentinel://s1:26379,s2/mymaster', 1000);
  assert.deepEqual(
    [s.mode, s.name, s.endpoints],
    [
      'sentinel',
      'mymaster',
      [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26379 },
      ],
    ],
  );
  const s2 = planConnection({ url: '', options: { mode: 'sentinel', sentinels: ['a:1', { host: 'b', port: 2 }], name: 'm' } }, 1000);
  assert.deepEqual(s2.endpoints, [
    { host: 'a', port: 1 },
    { host: 'b', port: 2 },
  ]);
  const c = planConnection('redis+cluster://n1:7000,n2:7001', 1000);
  assert.deepEqual([c.mode, c.endpoints.length], ['cluster', 2]);
});

test('bad targets say why', () => {
  assert.throws(() => planConnection('', 1000), { code: 'PLW_ERR_DIAG_BAD_TARGET' });
  assert.throws(() => planConnection('http://x', 1000), /unknown scheme/);
  assert.throws(() => planConnection('h:99999', 1000), /port/);
  assert.throws(() => planConnection('redis+sentinel://s1', 1000), /master name/);
  assert.throws(() => planConnection({ url: 'h', options: { mode: 'ring' } }, 1000), /options.mode/);
});
