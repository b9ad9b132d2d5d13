// The gateway's compiled view of the host: per-route pipelines (middleware chain, auth, rate
// limiter, timeout, metrics children) precomputed once and rebuilt when plugins change state.

import type { Logger } from 'pino';
import type { RequestLine } from './logging.js';
import type { Redis } from 'ioredis';
import { PlugwayError, reasonOf } from '../errors.js';
import type { Host, PluginInstance } from '../host/types.js';
import type { HostConfig, PluginOverrides } from '../host/config-types.js';
import { Bulkhead } from '../resilience/bulkhead.js';
import { CircuitBreaker, type CircuitState } from '../resilience/circuit-breaker.js';
import { EndpointRateLimiter } from '../resilience/rate-limit.js';
import type { GatewayMetrics, RouteMetrics } from './metrics.js';
import { collectRoutes, matchesAnyGlob, RouteTable, type RouteDef } from './route-table.js';

export interface PluginGuard {
  readonly id: string;
  readonly breaker: CircuitBreaker;
  readonly bulkhead: Bulkhead;
}

export interface MiddlewareStep {
  id: string;
  priority: number;
  onRequest: boolean;
  onResponse: boolean;
}

export interface CompiledRoute {
  readonly def: RouteDef;
  readonly pluginId: string;
  readonly guard: PluginGuard;
  readonly timeoutMs: number;
  /** Highest priority first; the way out walks it backwards. */
  readonly middleware: readonly MiddlewareStep[];
  readonly auth: 'required' | 'optional' | 'none';
  /** Roles, permissions or a plugin allow-list apply: a principal is needed. */
  readonly needsPrincipal: boolean;
  readonly roles: readonly string[];
  readonly permissions: readonly string[];
  readonly pluginRoles: readonly string[];
  readonly limiter?: EndpointRateLimiter;
  readonly metrics: RouteMetrics;
  /** The plugin's runtime reads the body itself as a stream: the gateway serves the route before Fastify parses it. */
  readonly streamsBody: boolean;
  /** Request lines of each version served (the pipeline makes them on first use). */
  lines?: Map<string | null, RequestLine>;
}

export interface CoreOptions {
  host: Host;
  config: HostConfig;
  metrics: GatewayMetrics;
  logger: Logger;
  redis?: Redis;
}

export class GatewayCore {
  readonly host: Host;
  readonly config: HostConfig;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
  readonly authPluginId?: string;
  readonly trustProxy: boolean;
  readonly maxResponseBytes: number;
  table: RouteTable<CompiledRoute> = new RouteTable<CompiledRoute>([]);
  /** Some route streams its body (a remote plugin): the gateway's early hook has work to do. */
  streaming = false;
  private readonly guards = new Map<string, PluginGuard>();
  private readonly limiters = new Map<string, EndpointRateLimiter>();
  private readonly routeMetrics = new Map<string, RouteMetrics>();
  private readonly redis?: Redis;

  constructor(opts: CoreOptions) {
    this.host = opts.host;
    this.config = opts.config;
    this.metrics = opts.metrics;
    this.logger = opts.logger;
    this.redis = opts.redis;
    this.authPluginId = opts.config.gateway.auth.plugin;
    this.trustProxy = opts.config.gateway.trustProxy;
    this.maxResponseBytes = opts.config.gateway.maxResponseBytes;
  }

  overrides(id: string): Partial<PluginOverrides> | undefined {
    return this.config.plugins.configs[id];
  }

  /** One instance per id: the active one. */
  plugins(): PluginInstance[] {
    const seen = new Set<string>();
    const out: PluginInstance[] = [];
    for (const p of this.host.list()) {
      if (seen.has(p.id)) continue;
      seen.add(p.id);
      out.push(this.host.get(p.id) ?? p);
    }
    return out;
  }

  circuitState(id: string): CircuitState | undefined {
    return this.guards.get(id)?.breaker.state;
  }

  guard(id: string): PluginGuard {
    let g = this.guards.get(id);
    if (g) return g;
    const o = this.overrides(id);
    const cb = { ...this.config.gateway.circuitBreaker, ...stripUndefined(o?.circuitBreaker) };
    const bh = { ...this.config.gateway.bulkhead, ...stripUndefined(o?.bulkhead) };
    const breaker = new CircuitBreaker(cb, (change) => {
      this.metrics.circuitChanges.labels(id, change.to).inc();
      this.logger.warn({ plugin_id: id, circuit_from: change.from, circuit_to: change.to }, `circuit of ${id} is now ${change.to}`);
      void this.host.events.emit('gateway.circuit_changed', { id, ...change }, 'plugway').catch(() => undefined);
    });
    const bulkhead = new Bulkhead(bh);
    g = { id, breaker, bulkhead };
    this.guards.set(id, g);
    return g;
  }

  /**
   * Recompiles every route from the host's current plugins. Throws PLW_ERR_ROUTE_CONFLICT or
   * PLW_ERR_AUTH_PROVIDER_MISSING; the previous table keeps serving when it does.
   */
  rebuild(): void {
    const plugins = this.plugins();
    const defs = collectRoutes(plugins, (id) => this.overrides(id)?.prefix);
    const middleware = plugins
      .filter((p) => p.manifest.kind === 'middleware' && p.state === 'running' && this.host.isEnabled(p.id))
      .map((p) => ({ p, priority: this.overrides(p.id)?.priority ?? p.manifest.middleware?.priority ?? 0 }))
      .sort((a, b) => b.priority - a.priority || a.p.id.localeCompare(b.p.id));
    const routes = defs.map((def) => {
      const steps: MiddlewareStep[] = [];
      for (const { p, priority } of middleware) {
        if (p.id === def.pluginId) continue;
        if (!matchesAnyGlob(def.path, p.manifest.middleware?.routes)) continue;
        const impl = (m: string) => (p.runtime ? p.runtime.implements(m) : true);
        const step = { id: p.id, priority, onRequest: impl('onRequest'), onResponse: impl('onResponse') };
        if (step.onRequest || step.onResponse) steps.push(step);
      }
      return this.compile(def, steps, plugins.find((p) => p.id === def.pluginId)!);
    });
    this.table = new RouteTable(routes);
    this.streaming = routes.some((r) => r.streamsBody);
  }

  /** rebuild() for run-time changes: a conflict is logged, not thrown. */
  tryRebuild(reason: string): void {
    try {
      this.rebuild();
    } catch (err) {
      this.logger.error({ err: { code: (err as PlugwayError).code, message: reasonOf(err) } }, `route table not rebuilt after ${reason}; the previous one keeps serving`);
    }
  }

  private compile(def: RouteDef, middleware: MiddlewareStep[], plugin: PluginInstance): CompiledRoute {
    const e = def.endpoint;
    const o = this.overrides(def.pluginId);
    const pluginRoles = o?.roles ?? [];
    const roles = e.roles ?? [];
    const permissions = e.permissions ?? [];
    const needsPrincipal = roles.length > 0 || permissions.length > 0 || pluginRoles.length > 0;
    if ((e.auth !== 'none' || needsPrincipal) && !this.authPluginId) {
      throw new PlugwayError('PLW_ERR_AUTH_PROVIDER_MISSING', { method: def.method, path: def.path, id: def.pluginId });
    }
    let limiter: EndpointRateLimiter | undefined;
    if (e.rateLimit) {
      const key = e.rateLimitGroup ? `${def.pluginId}|group:${e.rateLimitGroup}|${e.rateLimit.raw}` : `${def.pluginId}|${def.method}|${def.path}|${e.rateLimit.raw}`;
      limiter = this.limiters.get(key);
      if (!limiter) {
        limiter = new EndpointRateLimiter(e.rateLimit, e.rateLimitGroup ? `${def.pluginId}:${e.rateLimitGroup}` : `${def.pluginId}:${def.method}:${def.path}`, {
          store: this.config.gateway.rateLimit.store,
          keyPrefix: this.config.gateway.rateLimit.keyPrefix,
          redis: this.redis,
        });
        this.limiters.set(key, limiter);
      }
    }
    const mkey = `${def.pluginId}|${def.method}|${def.path}`;
    let metrics = this.routeMetrics.get(mkey);
    if (!metrics) this.routeMetrics.set(mkey, (metrics = this.metrics.forRoute(def.pluginId, def.path, def.method)));
    return {
      def,
      pluginId: def.pluginId,
      guard: this.guard(def.pluginId),
      timeoutMs: e.timeoutMs ?? o?.timeoutMs ?? plugin.manifest.resources?.timeoutMs ?? this.config.plugins.defaultTimeoutMs,
      middleware,
      auth: e.auth ?? 'none',
      needsPrincipal,
      roles,
      permissions,
      pluginRoles,
      limiter,
      metrics,
      streamsBody: plugin.runtime?.streamsRequestBody === true,
    };
  }
}

function stripUndefined<T extends object>(o: T | undefined): Partial<T> {
  const out: Partial<T> = {};
  if (!o) return out;
  for (const k in o) if (o[k] !== undefined) out[k] = o[k];
  return out;
}
