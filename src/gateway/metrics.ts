// The gateway's Prometheus metrics in its own prom-client Registry (several gateways can live
// in one process, e.g. in tests). Per-route children are cached so the hot path does no label hashing.

import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Host } from '../host/types.js';
import { CIRCUIT_STATE_VALUE, type CircuitState } from '../resilience/circuit-breaker.js';

const STATES = ['unloaded', 'loaded', 'initialized', 'running', 'stopping', 'stopped', 'failed'] as const;
const HEALTHS = ['healthy', 'degraded', 'unhealthy', 'unknown'] as const;

export interface RouteMetrics {
  observe(status: number, seconds: number): void;
  error(code: string): void;
  rateLimited(): void;
}

export class GatewayMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'plugin' | 'route' | 'method' | 'status'>;
  private readonly errors: Counter<'plugin' | 'route' | 'code'>;
  private readonly latency: Histogram<'plugin' | 'route'>;
  private readonly limited: Counter<'plugin' | 'route'>;
  private readonly hookDuration: Histogram<'hook'>;
  readonly circuitChanges: Counter<'plugin' | 'to'>;
  readonly bulkheadRejected: Counter<'plugin'>;

  constructor(host: Host, circuitOf: (id: string) => CircuitState | undefined) {
    const registers = [this.registry];
    this.requests = new Counter({ name: 'plugway_http_requests_total', help: 'Requests per plugin, route and status', labelNames: ['plugin', 'route', 'method', 'status'], registers });
    this.errors = new Counter({ name: 'plugway_http_errors_total', help: 'Failed requests per plugin, route and error code', labelNames: ['plugin', 'route', 'code'], registers });
    this.latency = new Histogram({
      name: 'plugway_http_request_duration_seconds',
      help: 'Request latency through the gateway',
      labelNames: ['plugin', 'route'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.limited = new Counter({ name: 'plugway_rate_limited_total', help: 'Requests refused by a rate limit', labelNames: ['plugin', 'route'], registers });
    this.hookDuration = new Histogram({ name: 'plugway_hook_duration_seconds', help: 'Time spent running host hooks per request', labelNames: ['hook'], buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5], registers });
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
    collectDefaultMetrics({ register: this.registry, prefix: 'plugway_' });
  }

  forRoute(plugin: string, route: string, method: string): RouteMetrics {
    const hist = this.latency.labels(plugin, route);
    const byStatus = new Map<number, Counter.Internal>();
    const requests = this.requests;
    const errors = this.errors;
    const limited = this.limited.labels(plugin, route);
    return {
      observe(status, seconds) {
        let c = byStatus.get(status);
        if (!c) byStatus.set(status, (c = requests.labels(plugin, route, method, String(status))));
        c.inc();
        hist.observe(seconds);
      },
      error(code) {
        errors.labels(plugin, route, code).inc();
      },
      rateLimited() {
        limited.inc();
      },
    };
  }

  hook(name: string, seconds: number): void {
    this.hookDuration.labels(name).observe(seconds);
  }
}
