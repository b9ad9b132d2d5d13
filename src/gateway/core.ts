// The gateway's compiled view of the host: per-route pipelines (middleware chain, auth, rate
// limiter, timeout, metrics children) precomputed once and rebuilt when plugins change state.

import { clientIpOf } from './client-ip.js';
import type { Logger } from 'pino';
import { requestLines } from './logging.js';
import type { Redis } from 'ioredis';
import { PlugwayError, reasonOf } from '../errors.js';
import type { Host, PluginInstance } from '../host/types.js';
import type { HostConfig, PluginOverrides } from '../host/config-types.js';
import { Bulkhead } from '../resilience/bulkhead.js';
import { CircuitBreaker, type CircuitState } from '../resilience/circuit-breaker.js';
import { EndpointRateLimiter } from '../resilience/rate-limit.js';
import type { GatewayMetrics, RouteMetrics } from './metrics.js';
import { collectRoutes, matchesAnyGlob, RouteTable, type RouteDef } from './route-table.js';
import { accountingStep, type AccountingDeps } from './steps/accounting.js';
import type { RequestContext, Step } from './steps/context.js';
import { compileSteps } from './steps/index.js';

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
  /** Each hook call's deadline (the middleware plugin's `resources.timeout`, else plugins.default_timeout). */
  timeoutMs: number;
}

/** What a route's steps are compiled from. */
export interface CompiledRouteSpec {
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
  /** The plugin's runtime reads the body itself as a stream (a remote proxy): the route is served before any server parses it. */
  readonly streamsBody: boolean;
}

export interface CompiledRoute extends CompiledRouteSpec {
  /** The route's steps, run by pipeline.ts dispatch() (steps/index.ts compiles them). */
  readonly steps: readonly Step[];
  /** The route's accounting step (also the first of `steps`), for requests refused before the steps run. */
  readonly accounting: Step;
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
  /** gateway.sandbox_plugin_responses: CSP sandbox on plugin responses (steps/sandbox.ts). */
  readonly sandboxResponses: boolean;
  readonly maxResponseBytes: number;
  table: RouteTable<CompiledRoute> = new RouteTable<CompiledRoute>([]);
  /** Some route streams its body (a remote plugin): an embedder's Fastify serves it from its onRequest hook. */
  streaming = false;
  /** Request lines per plugin version, for the accounting step. */
  readonly lines: AccountingDeps;
  private readonly guards = new Map<string, PluginGuard>();
  private readonly limiters = new Map<string, EndpointRateLimiter>();
  private readonly routeMetrics = new Map<string, RouteMetrics>();
  /** The rate-limit store's client when gateway.rate_limit.store is redis. */
  readonly redis?: Redis;

  constructor(opts: CoreOptions) {
    this.host = opts.host;
    this.config = opts.config;
    this.metrics = opts.metrics;
    this.logger = opts.logger;
    this.redis = opts.redis;
    this.authPluginId = opts.config.gateway.auth.plugin;
    this.trustProxy = opts.config.gateway.trustProxy;
    this.maxResponseBytes = opts.config.gateway.maxResponseBytes;
    this.sandboxResponses = opts.config.gateway.sandboxPluginResponses ?? true;
    const lineOf = requestLines(opts.logger);
    this.lines = { lineOf, activeVersion: (id) => this.host.get(id)?.version ?? null };
  }

  /** The client's address: the first X-Forwarded-For (or X-Real-IP) hop behind a trusted proxy, else the peer's. */
  clientIp(ctx: RequestContext): string {
    return clientIpOf(ctx.preq.headers, () => ctx.io.remoteAddress(), this.trustProxy);
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
    this.rebuilds++;
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
        const timeoutMs = p.manifest.resources?.timeoutMs ?? this.config.plugins.defaultTimeoutMs;
        const step = { id: p.id, priority, onRequest: impl('onRequest'), onResponse: impl('onResponse'), timeoutMs };
        if (step.onRequest || step.onResponse) steps.push(step);
      }
      return this.compile(def, steps, plugins.find((p) => p.id === def.pluginId)!);
    });
    this.table = new RouteTable(routes);
    this.streaming = routes.some((r) => r.streamsBody);
  }

  /** How many times the route table was compiled (a test counts rebuilds per change). */
  rebuilds = 0;
  /** Operations in progress (routesChanging): changes they cause wait for their end. */
  private held = 0;
  private pending: string | undefined;
  private scheduled = false;

  /**
   * The one "routes changed" signal: every event that may change a route (a plugin registered, its
   * state, a hook added, a version switched) calls it. Signals during an operation (routesChanging)
   * wait for its end; the others in one tick are coalesced into one rebuild on the next microtask.
   */
  routesChanged(reason: string): void {
    this.pending ??= reason;
    if (this.held > 0 || this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  /** Runs an operation that changes routes (a reload, enable, rollback…): one rebuild when it ends, whatever it caused. */
  async routesChanging<T>(reason: string, fn: () => Promise<T>): Promise<T> {
    this.held++;
    try {
      return await fn();
    } finally {
      this.pending ??= reason;
      if (--this.held === 0) this.flush();
    }
  }

  private flush(): void {
    if (this.held > 0 || this.pending === undefined) return;
    const reason = this.pending;
    this.pending = undefined;
    this.tryRebuild(reason);
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
    const spec = this.compileSpec(def, middleware, plugin);
    const accounting = accountingStep(this.lines, spec.pluginId, spec.metrics);
    return { ...spec, accounting, steps: compileSteps(this, spec, accounting) };
  }

  private compileSpec(def: RouteDef, middleware: MiddlewareStep[], plugin: PluginInstance): CompiledRouteSpec {
    const e = def.endpoint;
    const o = this.overrides(def.pluginId);
    const pluginRoles = o?.roles ?? [];
    const roles = e.roles ?? [];
    const permissions = e.permissions ?? [];
    const needsPrincipal = roles.length > 0 || permissions.length > 0 || pluginRoles.length > 0;
    // Only a running plugin's endpoints make a missing auth plugin fatal: a failed or stopped one's
    // answer 503 anyway (and would fail closed: no auth plugin, no principal), so it never stops the gateway.
    if ((e.auth !== 'none' || needsPrincipal) && !this.authPluginId && plugin.state === 'running') {
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
