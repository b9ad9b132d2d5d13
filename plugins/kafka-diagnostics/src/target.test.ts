// Kafka targets: brokers, schemes, credentials, and the query's groups/topics.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planConnection } from './target.js';

const plan = (target: Parameters<typeof planConnection>[0]) => planConnection(target, 1000, 1000);

test('brokers from kafka://, kafkas:// and a bare list', () => {
  assert.deepEqual(plan('kafka://b1:9092,b2').brokers, ['b1:9092', 'b2:9092']);
  assert.equal(plan('kafkas://b1:9093').tls, true);
  assert.deepEqual(plan('b1:9092').brokers, ['b1:9092']);
  assert.equal(plan('kafka://u:p@b1:9092').sasl?.username, 'u');
});

test('?groups= and ?topics= name groups and topics (comma lists, repeatable), merged with options', () => {
  const p = plan('kafka://b1:9092?groups=billing,orders&topics=orders&groups=audit');
  assert.deepEqual(p.brokers, ['b1:9092']);
  assert.deepEqual(p.groups, ['billing', 'orders', 'audit']);
  assert.deepEqual(p.topics, ['orders']);
  assert.deepEqual(plan('kafka://b1:9092/?groups=a').groups, ['a']);
  assert.deepEqual(plan('b1:9092,b2:9092?groups=a').brokers, ['b1:9092', 'b2:9092']);
  const merged = plan({ url: 'kafka://b1:9092?groups=a&topics=t1', options: { groups: ['a', 'b'], topics: ['t2'] } });
  assert.deepEqual(merged.groups, ['a', 'b']);
  assert.deepEqual(merged.topics, ['t2', 't1']);
  assert.equal(plan('kafka://b1:9092').topics, undefined);
  assert.deepEqual(plan('kafka://b1:9092').groups, []);
});

test('an unknown query parameter is refused, not dropped', () => {
  assert.throws(() => plan('kafka://b1:9092?group=a'), { code: 'PLW_ERR_DIAG_BAD_TARGET', message: /unknown query parameter "group"/ });
});
