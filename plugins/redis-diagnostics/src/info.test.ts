// INFO parsing: fields, replica lines, command and error stats, keyspace totals, versions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commandStats, compareVersions, errorStats, num, parseInfo, replicas, totalKeys } from './info.js';

const text = [
  '# Replication',
  'role:master',
  'connected_slaves:1',
  'slave0:ip=127.0.0.1,port=7001,state=online,offset=420,lag=1',
  'master_repl_offset:500',
  '# Commandstats',
  'cmdstat_get:calls=10,usec=50,usec_per_call=5.00,rejected_calls=1,failed_calls=2',
  '# Errorstats',
  'errorstat_OOM:count=3',
  '# Keyspace',
  'db0:keys=5,expires=0,avg_ttl=0',
  'db3:keys=7,expires=1,avg_ttl=10',
  '',
].join('\r\n');

test('parses fields, replicas, command stats, error stats and key totals', () => {
  const info = parseInfo(text);
  assert.equal(info.role, 'master');
  assert.equal(num(info, 'master_repl_offset'), 500);
  assert.equal(num(info, 'role'), undefined);
  assert.deepEqual(replicas(info), [{ id: 'slave0', ip: '127.0.0.1', port: 7001, state: 'online', offset: 420, lag: 1 }]);
  assert.deepEqual(commandStats(info).get, { calls: 10, usec: 50, usecPerCall: 5, rejected: 1, failed: 2 });
  assert.deepEqual(errorStats(info), { OOM: 3 });
  assert.equal(totalKeys(info), 12);
});

test('compares versions numerically', () => {
  assert.ok(compareVersions('5.0.14', '6.0.0') < 0);
  assert.ok(compareVersions('7.0.15', '6.0.0') > 0);
  assert.equal(compareVersions('6.0', '6.0.0'), 0);
  assert.ok(compareVersions('6.10.0', '6.9.0') > 0);
});
