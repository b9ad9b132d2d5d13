// The gateway's Prometheus metrics in its own prom-client Registry (several gateways can live
// in one process, e.g. in tests). The per-request series (requests by status, latency) are
// counted in plain per-route numbers and handed to prom-client when /metrics is read: a labelled
// prom-client child still hashes and validates its labels on every inc/observe (~1 µs a request).

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Host, HostEventBus } from '../host/types.js';
import type { PluginMetrics } from '../sdk/types.js';
import { ERRORS } from '../errors.js';
import { CIRCUIT_STATE_VALUE, type CircuitState } from '../resilience/circuit-breaker.js';
import { registerUpstreamMetrics } from './upstream-metrics.js';
import { LiveStats, type PluginLiveStats } from './live-stats.js';

const STATES = ['unloaded', 'loaded', 'initialized', 'running', 'stopping', 'stopped', 'failed'] as const;
const HEALTHS = ['healthy', 'degraded', 'unhealthy', 'unknown', 'disabled'] as const;
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export interface RouteMetrics {
  /** One answer: its status, its duration, and when it ended (performance.now(); now when omitted). */
  observe(status: number, seconds: number, at?: number): void;
  error(code: string): void;
  rateLimited(): void;
}

/** Latency of one (plugin, route) label pair: counts per bucket (not cumulative), the last above the largest bound. */
class LatencyCells {
  readonly buckets = new Float64Array(LATENCY_BUCKETS.length + 1);
  sum = 0;
  count = 0;
  constructor(
    readonly plugin: string,
    readonly route: string,
  ) {}

  reset(): void {
    this.buckets.fill(0);
    this.sum = 0;
    this.count = 0;
  }

  observe(seconds: number): void {
    let i = 0;
    while (i < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[i]!) i++;
    this.buckets[i]!++;
    this.sum += seconds;
    this.count++;
  }
}

/** One route (plugin, path, method): the hot path only adds to numbers. */
class RouteSeries implements RouteMetrics {
  readonly byStatus = new Map<number, number>();
  /** What the requests counter has been handed so far, per status. */
  readonly reported = new Map<number, number>();

  constructor(
    readonly plugin: string,
    readonly route: string,
    readonly method: string,
    private readonly latency: LatencyCells,
    private readonly errors: Counter<'plugin' | 'route' | 'code'>,
    private readonly limited: Counter.Internal,
    private readonly live: PluginLiveStats,
  ) {}

  observe(status: number, seconds: number, at = performance.now()): void {
    const m = this.byStatus;
    m.set(status, (m.get(status) ?? 0) + 1);
    this.latency.observe(seconds);
    this.live.record(seconds * 1000, status, at);
  }

  error(code: string): void {
    // A code outside the catalogue (an in-process plugin's own PlugwayError) must not mint series.
    this.errors.labels(this.plugin, this.route, code in ERRORS ? code : 'other').inc();
  }

  rateLimited(): void {
    this.limited.inc();
  }
}

interface ExportedValue {
  labels: Record<string, string | number>;
  sharedLabels?: Record<string, string>;
  value: number;
  metricName?: string;
  exemplar?: null | undefined;
}
interface ExportedMetric {
  name: string;
  help: string;
  type: string;
  values: ExportedValue[];
  aggregator: string;
}

/**
 * plugway_http_request_duration_seconds, read from LatencyCells: a metric of our own that the
 * Registry reads through its public get() (as it reads every metric for /metrics and JSON), giving
 * the values a prom-client Histogram gives for the same observations (metrics.test.ts compares the
 * two, so a prom-client upgrade that changes the shape fails there). A prom-client Histogram child
 * would hash and validate its labels on every observe (~1 µs a request).
 */
class RouteLatencyMetric {
  readonly type = 'histogram';
  readonly aggregator = 'sum';

  constructor(
    readonly name: string,
    readonly help: string,
    private readonly cells: () => Iterable<LatencyCells>,
  ) {}

  async get(): Promise<ExportedMetric> {
    const name = this.name;
    const bucket = `${name}_bucket`;
    const values: ExportedValue[] = [];
    for (const c of this.cells()) {
      if (c.count === 0) continue;
      let acc = 0;
      for (let i = 0; i < LATENCY_BUCKETS.length; i++) {
        acc += c.buckets[i]!;
        values.push({ value: acc, metricName: bucket, exemplar: null, labels: { le: LATENCY_BUCKETS[i]!, plugin: c.plugin, route: c.route } });
      }
      values.push(
        { value: c.count, metricName: bucket, exemplar: null, labels: { le: '+Inf', plugin: c.plugin, route: c.route } },
        { value: c.sum, metricName: `${name}_sum`, exemplar: undefined, labels: { plugin: c.plugin, route: c.route } },
        { value: c.count, metricName: `${name}_count`, exemplar: undefined, labels: { plugin: c.plugin, route: c.route } },
      );
    }
    return { name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }

  /** Registry.resetMetrics(): every series back to zero. */
  reset(): void {
    for (const c of this.cells()) c.reset();
  }
}

export class GatewayMetrics {
  readonly registry = new Registry();
  /** Per-plugin rate and latency of the last minutes (GET /admin/stats). */
  readonly live = new LiveStats();
  private readonly requests: Counter<'plugin' | 'route' | 'method' | 'status'>;
  private readonly errors: Counter<'plugin' | 'route' | 'code'>;
  private readonly latency: RouteLatencyMetric;
  private readonly limited: Counter<'plugin' | 'route'>;
  private readonly hookDuration: Histogram<'hook'>;
  private readonly routes: RouteSeries[] = [];
  private readonly latencyCells = new Map<string, LatencyCells>();
  readonly circuitChanges: Counter<'plugin' | 'to'>;
  readonly bulkheadRejected: Counter<'plugin'>;
  private readonly offRuntimeEvents: () => void;

  constructor(
    private readonly host: Host,
    circuitOf: (id: string) => CircuitState | undefined,
  ) {
    const registers = [this.registry];
    const routes = this.routes;
    this.requests = new Counter({
      name: 'plugway_http_requests_total',
      help: 'Requests per plugin, route and status',
      labelNames: ['plugin', 'route', 'method', 'status'],
      registers,
      collect() {
        // Hands over what each route counted since the last read.
        for (const s of routes) {
          for (const [status, n] of s.byStatus) {
            const delta = n - (s.reported.get(status) ?? 0);
            if (delta <= 0) continue;
            s.reported.set(status, n);
            this.inc({ plugin: s.plugin, route: s.route, method: s.method, status: String(status) }, delta);
          }
        }
      },
    });
    this.errors = new Counter({ name: 'plugway_http_errors_total', help: 'Failed requests per plugin, route and error code', labelNames: ['plugin', 'route', 'code'], registers });
    const cells = this.latencyCells;
    this.latency = new RouteLatencyMetric('plugway_http_request_duration_seconds', 'Request latency through the gateway', () => cells.values());
    // The Registry takes any metric it can read with get() (its type names prom-client's own classes).
    this.registry.registerMetric(this.latency as unknown as Histogram);
    this.limited = new Counter({ name: 'plugway_rate_limited_total', help: 'Requests refused by a rate limit', labelNames: ['plugin', 'route'], registers });
    this.hookDuration = new Histogram({
      name: 'plugway_hook_duration_seconds',
      help: 'Time spent running host hooks per request',
      labelNames: ['hook'],
      buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers,
    });
    this.circuitChanges = new Counter({ name: 'plugway_circuit_transitions_total', help: 'Circuit breaker state changes', labelNames: ['plugin', 'to'], registers });
    this.bulkheadRejected = new Counter({ name: 'plugway_bulkhead_rejected_total', help: 'Calls refused because the plugin had too many in flight', labelNames: ['plugin'], registers });

    new Gauge({
      name: 'plugway_plugin_state',
      help: 'Lifecycle state per plugin (1 for the current state)',
      labelNames: ['plugin', 'state'],
      registers,
      collect() {
        this.reset();
        for (const p of host.list()) for (const s of STATES) this.set({ plugin: p.id, state: s }, p.state === s ? 1 : 0);
      },
    });
    new Gauge({
      name: 'plugway_plugin_health',
      help: 'Health per plugin (1 for the current health)',
      labelNames: ['plugin', 'health'],
      registers,
      collect() {
        this.reset();
        for (const p of host.list()) for (const h of HEALTHS) this.set({ plugin: p.id, health: h }, p.health === h ? 1 : 0);
      },
    });
    new Gauge({
      name: 'plugway_plugin_enabled',
      help: 'Whether the plugin is enabled (1) or disabled by an operator (0)',
      labelNames: ['plugin'],
      registers,
      collect() {
        this.reset();
        for (const p of host.list()) this.set({ plugin: p.id }, host.isEnabled(p.id) ? 1 : 0);
      },
    });
    new Gauge({
      name: 'plugway_circuit_state',
      help: 'Circuit breaker state per plugin: 0 closed, 1 open, 2 half-open',
      labelNames: ['plugin'],
      registers,
      collect() {
        this.reset();
        for (const p of host.list()) this.set({ plugin: p.id }, CIRCUIT_STATE_VALUE[circuitOf(p.id) ?? 'closed']);
      },
    });
    const hookStat = (name: string, help: string, pick: (s: { count: number; errors: number; timeouts: number; meanMs: number; p99Ms: number }) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['hook'],
        registers,
        collect() {
          this.reset();
          const stats = host.hooks.stats();
          for (const hook in stats) this.set({ hook }, pick(stats[hook]!));
        },
      });
    hookStat('plugway_hook_calls', 'Hook invocations per hook name (host hook manager)', (s) => s.count);
    hookStat('plugway_hook_errors', 'Hook failures per hook name', (s) => s.errors);
    hookStat('plugway_hook_timeouts', 'Hook timeouts per hook name', (s) => s.timeouts);
    hookStat('plugway_hook_mean_seconds', 'Mean hook duration per hook name', (s) => s.meanMs / 1000);
    hookStat('plugway_hook_p99_seconds', 'p99 hook duration per hook name', (s) => s.p99Ms / 1000);
    this.offRuntimeEvents = runtimeSeries(host, registers);
    registerUpstreamMetrics(this.registry, host);
    collectDefaultMetrics({ register: this.registry, prefix: 'plugway_' });
  }

  /** The exposition text: the gateway's series, then those plugins defined (ctx.metrics, e.g. plugway_llm_*). */
  async text(): Promise<string> {
    const own = await this.registry.metrics();
    const extra = this.host.pluginMetrics ? await this.host.pluginMetrics.registry.metrics() : '';
    return extra ? `${own}${own.endsWith('\n') ? '' : '\n'}${extra}` : own;
  }

  /** Stops counting the host's runtime events (the host may outlive this gateway). */
  close(): void {
    this.offRuntimeEvents();
  }

  /** A route's series (one per plugin, path and method; the gateway keeps them across rebuilds). */
  forRoute(plugin: string, route: string, method: string): RouteMetrics {
    const key = `${plugin}\u0000${route}`;
    let cells = this.latencyCells.get(key);
    if (!cells) this.latencyCells.set(key, (cells = new LatencyCells(plugin, route)));
    const series = new RouteSeries(plugin, route, method, cells, this.errors, this.limited.labels(plugin, route), this.live.of(plugin));
    this.routes.push(series);
    return series;
  }

  hook(name: string, seconds: number): void {
    this.hookDuration.labels(name).observe(seconds);
  }
}

interface InstanceUsage {
  index: number;
  state: string;
  cpuPercent: number;
  heapUsedMb: number;
  externalMb: number;
}

/**
 * Series about isolated runtimes, none on the request path: plugway_runtime_events_total counts
 * the events runtimes report (the host forwards them as `runtime.*` events: worker_crashed,
 * worker_oom, worker_terminated, worker_restarting, worker_restarted, worker_restart_limit,
 * wasm_memory_limit, wasm_host_memory_limit, wasm_host_denied); the per-instance gauges ask each
 * worker/wasm runtime for its usage when /metrics is read (one reading per scrape for all three).
 * Runtime event types in KNOWN_RUNTIME_EVENTS have a series of their own from the start; up to
 * MAX_EVENT_TYPES others may join.
 */
const KNOWN_RUNTIME_EVENTS = [
  'worker_crashed',
  'worker_oom',
  'worker_terminated',
  'worker_restarting',
  'worker_restarted',
  'worker_restart_limit',
  'wasm_memory_limit',
  'wasm_host_memory_limit',
  'wasm_host_denied',
  'fetch_too_large',
];
const MAX_EVENT_TYPES = 32;

function runtimeSeries(host: Host, registers: Registry[]): () => void {
  const events = new Counter({
    name: 'plugway_runtime_events_total',
    help: 'Events reported by the worker and wasm runtimes, per plugin and type (worker_crashed, worker_oom, worker_restarted, wasm_memory_limit, ...)',
    labelNames: ['plugin', 'type'],
    registers,
  });
  const bus = host.events as HostEventBus | undefined;
  // Labels come from what the host knows, never from event data: a registered plugin id (else
  // "unknown") and one of at most MAX_EVENT_TYPES type names (else "other").
  const types = new Set<string>(KNOWN_RUNTIME_EVENTS);
  const off = bus?.on('runtime.*', (e) => {
    if (e.source !== 'plugway') return;
    const d = (e.data ?? {}) as { id?: unknown };
    const plugin = typeof d.id === 'string' && host.get(d.id) ? d.id : 'unknown';
    let type = e.type.slice('runtime.'.length);
    if (!types.has(type)) {
      if (types.size < KNOWN_RUNTIME_EVENTS.length + MAX_EVENT_TYPES && /^[a-z0-9_]{1,48}$/.test(type)) types.add(type);
      else type = 'other';
    }
    events.inc({ plugin, type });
  });

  let reading: { at: number; value: Promise<Array<{ plugin: string; instances: InstanceUsage[] }>> } | undefined;
  const usage = () => {
    if (reading && Date.now() - reading.at < 1000) return reading.value;
    const value = Promise.all(
      host
        .list()
        .filter((p) => p.state === 'running' && p.runtime && p.runtime.type !== 'inprocess')
        .map(async (p) => {
          const u = (await p.runtime!.resourceUsage().catch(() => ({}))) as Partial<PluginMetrics> & { instances?: InstanceUsage[] };
          return { plugin: p.id, instances: u.instances ?? [] };
        }),
    );
    reading = { at: Date.now(), value };
    return value;
  };
  const perInstance = (name: string, help: string, pick: (i: InstanceUsage) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['plugin', 'instance'],
      registers,
      async collect() {
        const all = await usage();
        this.reset();
        for (const { plugin, instances } of all) for (const i of instances) if (i.state === 'ready') this.set({ plugin, instance: String(i.index) }, pick(i));
      },
    });
  perInstance('plugway_runtime_instance_cpu_percent', 'CPU % of each worker/wasm instance (event-loop utilisation since the previous reading)', (i) => i.cpuPercent);
  perInstance('plugway_runtime_instance_heap_used_mb', 'V8 heap used by each worker/wasm instance, MB', (i) => i.heapUsedMb);
  perInstance('plugway_runtime_instance_external_mb', 'Buffers and ArrayBuffers (V8 external memory) of each worker/wasm instance, MB', (i) => i.externalMb);
  return off ?? (() => undefined);
}
