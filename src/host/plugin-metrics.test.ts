// ctx.metrics: plugin-defined Prometheus series in the host's registry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PluginMetricStore } from './plugin-metrics.js';

test('ctx.metrics: series land in the host registry; a same-shape redefinition is shared, a clash or a gateway name refused', async () => {
  const store = new PluginMetricStore();
  const a = store.forPlugin('a');
  a.counter({ name: 'demo_calls_total', help: 'calls', labelNames: ['kind'] }).inc({ kind: 'x' }, 2);
  store
    .forPlugin('a')
    .counter({ name: 'demo_calls_total', help: 'calls', labelNames: ['kind'] })
    .inc({ kind: 'x' });
  a.histogram({ name: 'demo_seconds', help: 's', buckets: [0.1, 1] }).observe(undefined, 0.5);
  const text = await store.registry.metrics();
  assert.match(text, /demo_calls_total\{kind="x"\} 3/);
  assert.match(text, /demo_seconds_bucket\{le="1"\} 1/);
  assert.throws(() => a.gauge({ name: 'demo_calls_total', help: 'g' }), /already a counter/);
  assert.throws(() => a.counter({ name: 'plugway_http_requests_total', help: 'no' }), /gateway's own series/);
  assert.throws(() => a.counter({ name: 'bad name', help: 'no' }), /not a Prometheus metric name/);
});
