// Each rule type read from two samples: p99 from bucket deltas, thresholds, minimum requests, and
// plugway.yaml's rules merged over the defaults by name.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { alertsConfigOf, RAW_ALERT_DEFAULTS } from '../../host/config-alerts.js';
import { evaluate, p99Of, type PluginSample } from './rules.js';

const sample = (o: Partial<PluginSample> = {}): PluginSample => ({ requests: 0, serverErrors: 0, latency: [], rateLimited: 0, restarts: 0, breakerOpen: false, unhealthy: false, failed: false, ...o });

test('p99 from cumulative buckets, over the window only', () => {
  const then: Array<[number, number]> = [
    [0.1, 100],
    [1, 100],
    [Infinity, 100],
  ];
  const now: Array<[number, number]> = [
    [0.1, 150],
    [1, 199],
    [Infinity, 200],
  ];
  // in the window: 50 under 0.1 s, 49 under 1 s, 1 above
  assert.equal(p99Of(now, then), 1);
  assert.equal(p99Of(then, then), undefined);
  assert.equal(
    p99Of(
      [
        [0.1, 10],
        [1, 10],
        [Infinity, 10],
      ],
      undefined,
    ),
    0.1,
  );
});

test('the default rules; a plugway.yaml rule changes one by name and adds one with a type', () => {
  const c = alertsConfigOf({
    ...structuredClone(RAW_ALERT_DEFAULTS),
    rules: { plugin_error_rate: { threshold: 0.2, for: '30s' }, restart_loop: { enabled: false }, slow_checkout: { type: 'latency_p99', threshold: 0.25, plugins: ['checkout'] } },
  });
  const names = c.rules.map((r) => r.name);
  for (const n of ['plugin_error_rate', 'plugin_latency_p99', 'circuit_open', 'health_failing', 'plugin_failed', 'restart_loop', 'rate_limit_spike', 'slow_checkout']) assert.ok(names.includes(n), n);
  const er = c.rules.find((r) => r.name === 'plugin_error_rate')!;
  assert.equal(er.threshold, 0.2);
  assert.equal(er.forMs, 30_000);
  assert.equal(er.windowMs, 300_000);
  assert.equal(c.rules.find((r) => r.name === 'restart_loop')!.enabled, false);
  const slow = c.rules.find((r) => r.name === 'slow_checkout')!;
  assert.deepEqual([slow.type, slow.threshold, slow.plugins, slow.minRequests], ['latency_p99', 0.25, ['checkout'], 20]);
  assert.equal(c.intervalMs, 5000);
});

test('conditions: error rate needs min_requests; restarts and rejections count in the window; states', () => {
  const c = alertsConfigOf(structuredClone(RAW_ALERT_DEFAULTS));
  const rule = (n: string) => c.rules.find((r) => r.name === n)!;
  assert.equal(evaluate(rule('plugin_error_rate'), 'p', sample({ requests: 10, serverErrors: 10 }), undefined, 0).active, false, 'under min_requests');
  assert.equal(evaluate(rule('plugin_error_rate'), 'p', sample({ requests: 130, serverErrors: 20 }), sample({ requests: 100, serverErrors: 10 }), 0).active, true);
  assert.equal(evaluate(rule('plugin_error_rate'), 'p', sample({ requests: 130, serverErrors: 11 }), sample({ requests: 100, serverErrors: 10 }), 0).active, false);
  assert.equal(evaluate(rule('restart_loop'), 'p', sample({ restarts: 7 }), sample({ restarts: 4 }), 0).active, true);
  assert.equal(evaluate(rule('restart_loop'), 'p', sample({ restarts: 7 }), sample({ restarts: 5 }), 0).active, false);
  assert.equal(evaluate(rule('circuit_open'), 'p', sample({ breakerOpen: true }), undefined, 0).active, true);
  assert.equal(evaluate(rule('health_failing'), 'p', sample({ unhealthy: true }), undefined, 0).active, true);
  assert.equal(evaluate(rule('plugin_failed'), 'p', sample({ rolledBackAt: 1000 }), undefined, 2000).active, true);
  assert.equal(evaluate(rule('plugin_failed'), 'p', sample({ rolledBackAt: 1000 }), undefined, 1000 + 600_000).active, false);
  const slow = sample({
    requests: 50,
    latency: [
      [0.5, 10],
      [2.5, 50],
      [Infinity, 50],
    ],
  });
  assert.equal(evaluate(rule('plugin_latency_p99'), 'p', slow, undefined, 0).active, true);
});
