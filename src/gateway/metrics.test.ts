import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Counter, Histogram, Registry } from 'prom-client';
import type { Host } from '../host/types.js';
import { GatewayMetrics } from './metrics.js';

const host = { list: () => [], isEnabled: () => true, hooks: { stats: () => ({}) } } as unknown as Host;

/** The lines of one metric family in a text exposition. */
function family(text: string, name: string): string[] {
  return text.split('\n').filter((l) => l === `# HELP ${name} ${l.slice(`# HELP ${name} `.length)}` || l.startsWith(`# TYPE ${name} `) || l.startsWith(`${name}{`) || l.startsWith(`${name}_`));
}

test('per-route requests and latency read exactly as prom-client series fed the same observations', async () => {
  const m = new GatewayMetrics(host, () => 'closed');
  const ref = new Registry();
  const refRequests = new Counter({ name: 'plugway_http_requests_total', help: 'Requests per plugin, route and status', labelNames: ['plugin', 'route', 'method', 'status'], registers: [ref] });
  const refLatency = new Histogram({
    name: 'plugway_http_request_duration_seconds',
    help: 'Request latency through the gateway',
    labelNames: ['plugin', 'route'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [ref],
  });
  // Two methods on one path share the latency series (its labels are plugin and route).
  const get = m.forRoute('echo', '/e/{id}', 'GET');
  const post = m.forRoute('echo', '/e/{id}', 'POST');
  const other = m.forRoute('other', '/o', 'GET');
  m.forRoute('idle', '/never', 'GET'); // no requests: no series, as with prom-client
  const seen: Array<[typeof get, string, string, string, number, number]> = [
    [get, 'echo', '/e/{id}', 'GET', 200, 0.0004],
    [get, 'echo', '/e/{id}', 'GET', 200, 0.0005],
    [get, 'echo', '/e/{id}', 'GET', 404, 0.003],
    [post, 'echo', '/e/{id}', 'POST', 201, 0.07],
    [other, 'other', '/o', 'GET', 500, 12],
    [other, 'other', '/o', 'GET', 200, 0.2],
  ];
  const feed = () => {
    for (const [series, plugin, route, method, status, s] of seen) {
      series.observe(status, s);
      refRequests.labels(plugin, route, method, String(status)).inc();
      refLatency.labels(plugin, route).observe(s);
    }
  };
  feed();
  const names = ['plugway_http_requests_total', 'plugway_http_request_duration_seconds'];
  const check = async () => {
    const got = await m.registry.metrics();
    const want = await ref.metrics();
    for (const n of names) assert.deepEqual(family(got, n).sort(), family(want, n).sort(), n);
    const json = (await m.registry.getMetricsAsJSON()).filter((x) => names.includes(x.name));
    const wantJson = (await ref.getMetricsAsJSON()).filter((x) => names.includes(x.name));
    const norm = (xs: typeof json) => xs.map((x) => ({ ...x, values: [...x.values].map((v) => JSON.stringify(v)).sort() })).sort((a, b) => a.name.localeCompare(b.name));
    assert.deepEqual(norm(json), norm(wantJson));
  };
  await check();
  // Counts handed over once: a second read after more traffic adds only the new requests.
  feed();
  await check();
  await check();
  assert.match(await m.registry.metrics(), /plugway_http_requests_total\{plugin="echo",route="\/e\/\{id\}",method="GET",status="200"\} 4/);
});
