// Prometheus series of remote plugins' upstreams, read from their runtimes at scrape time:
// requests, errors and ejections (counters), in flight, health, ejection and latency (gauges).

import { Counter, Gauge, type Registry } from 'prom-client';
import type { Host } from '../host/types.js';
import type { UpstreamSnapshot } from '../runtimes/types.js';

type Labels = 'plugin' | 'upstream';

function snapshots(host: Host): Array<{ plugin: string; u: UpstreamSnapshot }> {
  const out: Array<{ plugin: string; u: UpstreamSnapshot }> = [];
  for (const p of host.list()) {
    if (p.state !== 'running' || !p.runtime?.upstreams) continue;
    for (const u of p.runtime.upstreams()) out.push({ plugin: p.id, u });
  }
  return out;
}

export function registerUpstreamMetrics(registry: Registry, host: Host): void {
  const registers = [registry];
  const labels = ['plugin', 'upstream'] as const;
  // Counters restated from the runtimes' own totals (they survive scrapes, not restarts of the plugin).
  const total = (name: string, help: string, pick: (u: UpstreamSnapshot) => number) =>
    new Counter<Labels>({
      name,
      help,
      labelNames: labels,
      registers,
      collect() {
        this.reset();
        for (const { plugin, u } of snapshots(host)) this.inc({ plugin, upstream: u.url }, pick(u));
      },
    });
  const gauge = (name: string, help: string, pick: (u: UpstreamSnapshot) => number) =>
    new Gauge<Labels>({
      name,
      help,
      labelNames: labels,
      registers,
      collect() {
        this.reset();
        for (const { plugin, u } of snapshots(host)) this.set({ plugin, upstream: u.url }, pick(u));
      },
    });
  total('plugway_upstream_requests_total', 'Requests sent to each upstream of a remote plugin (retries included)', (u) => u.requests);
  total('plugway_upstream_errors_total', 'Connect errors, resets, timeouts and 5xx answers per upstream', (u) => u.errors);
  total('plugway_upstream_ejections_total', 'Times an upstream was ejected by outlier detection', (u) => u.ejections);
  gauge('plugway_upstream_in_flight', 'Requests (and streaming bodies) in flight per upstream', (u) => u.inFlight);
  gauge('plugway_upstream_healthy', '1 when the upstream takes traffic (healthy, not ejected)', (u) => (u.state === 'healthy' ? 1 : 0));
  gauge('plugway_upstream_ejected', '1 while the upstream is ejected', (u) => (u.state === 'ejected' ? 1 : 0));
  gauge('plugway_upstream_latency_mean_seconds', 'Mean time to the response head per upstream', (u) => u.latencyMeanMs / 1000);
  gauge('plugway_upstream_latency_p99_seconds', 'p99 time to the response head (last 256 requests) per upstream', (u) => u.latencyP99Ms / 1000);
}
