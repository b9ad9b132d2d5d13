// A crashing worker plugin shows in Prometheus: plugway_runtime_events_total counts the runtime's
// events per plugin and type, and the per-instance gauges are read from the runtime on scrape.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { createHost } from '../../src/host/index.js';
import { GatewayMetrics } from '../../src/gateway/metrics.js';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const request = (path: string) => ({ id: 'r', method: 'GET', path, params: {}, query: {}, headers: {}, context: {} });

test('a worker crash and its restart are counted in plugway_runtime_events_total; instance gauges are collected on scrape', async () => {
  const host = createHost({ logger: pino({ level: 'silent' }) });
  const { errors } = await host.loadDirectory(fixtures);
  assert.deepEqual(errors, []);
  await host.start();
  const metrics = new GatewayMetrics(host, () => 'closed');
  try {
    const restarted = new Promise<void>((resolve) => host.events.on('runtime.worker_restarted', () => resolve()));
    await assert.rejects(host.call('http-hostile', 'handleRequest', [request('/hostile/exit')]), { code: 'PLW_ERR_WORKER_EXITED' });
    await restarted;
    const text = await metrics.registry.metrics();
    const line = (type: string) => text.split('\n').find((l) => l.startsWith(`plugway_runtime_events_total{plugin="http-hostile",type="${type}"}`));
    assert.equal(line('worker_crashed')?.split(' ')[1], '1', text);
    assert.equal(line('worker_restarting')?.split(' ')[1], '1');
    assert.equal(line('worker_restarted')?.split(' ')[1], '1');
    const heap = text.split('\n').find((l) => l.startsWith('plugway_runtime_instance_heap_used_mb{plugin="http-hostile",instance="0"}'));
    assert.ok(heap && Number(heap.split(' ')[1]) > 0, `heap gauge: ${heap}`);
    assert.ok(text.includes('plugway_runtime_instance_cpu_percent{plugin="http-hostile",instance="0"}'));
    // After close() the gateway's metrics no longer follow the host's events.
    metrics.close();
    const restartedAgain = new Promise<void>((resolve) => host.events.on('runtime.worker_restarted', () => resolve()));
    await assert.rejects(host.call('http-hostile', 'handleRequest', [request('/hostile/exit')]), { code: 'PLW_ERR_WORKER_EXITED' });
    await restartedAgain;
    assert.equal(
      (await metrics.registry.metrics())
        .split('\n')
        .find((l) => l.startsWith('plugway_runtime_events_total{plugin="http-hostile",type="worker_crashed"}'))
        ?.split(' ')[1],
      '1',
    );
  } finally {
    metrics.close();
    await host.stop();
  }
});
