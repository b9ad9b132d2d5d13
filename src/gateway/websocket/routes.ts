// The WebSocket endpoints (`protocol: websocket`) compiled into upgrade step arrays: accounting
// (one log line, status 101 or the refusal), availability, auth and rate limit — the same steps as
// HTTP routes — then the capacity check and the upgrade itself. Recompiled when the core's routes are.

import FindMyWay, { type HTTPMethod } from 'find-my-way';
import type { GatewayCore } from '../core.js';
import { DEFAULT_WEBSOCKET_LIMITS, type EndpointSpec, type WebSocketLimits } from '../../manifest/types.js';
import { EndpointRateLimiter } from '../../resilience/rate-limit.js';
import { joinPrefix, toRouterPath } from '../route-table.js';
import type { RouteMetrics } from '../metrics.js';
import { accountingStep } from '../steps/accounting.js';
import { authStep } from '../steps/auth.js';
import { availabilityStep } from '../steps/availability.js';
import { rateLimitStep } from '../steps/rate-limit.js';
import { isFailure, type RequestContext, type Step } from '../steps/context.js';
import { sendOutcome } from '../steps/send.js';

export interface WsRoute {
  readonly pluginId: string;
  /** As served (prefix + endpoint path), the metrics label. */
  readonly path: string;
  readonly endpoint: EndpointSpec;
  readonly limits: WebSocketLimits;
  readonly limiter?: EndpointRateLimiter;
  readonly metrics: RouteMetrics;
  /** `plugin|path`: stable across recompiles (open connections are counted under it). */
  readonly key: string;
}

/** Writes a refusal (the gateway's error body) on the way out; an accepted upgrade was answered by ws. */
const refusalStep: Step = {
  name: 'send-refusal',
  leave(ctx: RequestContext): void {
    if (isFailure(ctx.outcome)) sendOutcome(ctx, ctx.outcome);
  },
};

export class WsRouteTable {
  private router = FindMyWay({ ignoreTrailingSlash: true, caseSensitive: true, ignoreDuplicateSlashes: true });
  private compiledAt = -1;
  private readonly limiters = new Map<string, EndpointRateLimiter>();
  private readonly metrics = new Map<string, RouteMetrics>();

  constructor(
    private readonly core: GatewayCore,
    /** The last step: checks capacity and performs the upgrade. */
    private readonly acceptStep: (route: WsRoute) => Step,
  ) {}

  find(path: string): { route: WsRoute; steps: readonly Step[]; params: Record<string, string> } | undefined {
    if (this.compiledAt !== this.core.rebuilds) this.compile();
    const found = this.router.find('GET', path);
    if (!found) return undefined;
    const s = found.store as { route: WsRoute; steps: Step[] };
    return { route: s.route, steps: s.steps, params: found.params as Record<string, string> };
  }

  private compile(): void {
    const core = this.core;
    this.compiledAt = core.rebuilds;
    const router = FindMyWay({ ignoreTrailingSlash: true, caseSensitive: true, ignoreDuplicateSlashes: true });
    for (const p of core.plugins()) {
      for (const e of p.manifest.endpoints ?? []) {
        if (e.protocol !== 'websocket') continue;
        const path = joinPrefix(core.overrides(p.id)?.prefix, e.path);
        const needsAuth = e.auth !== 'none' || e.roles.length > 0 || e.permissions.length > 0;
        if (needsAuth && !core.authPluginId) {
          core.logger.error({ plugin_id: p.id, path }, `WebSocket endpoint ${path} of ${p.id} needs auth but gateway.auth.plugin is not set; not served`);
          continue;
        }
        const route = this.route(p.id, path, e);
        const steps: Step[] = [accountingStep(core.lines, p.id, route.metrics), refusalStep, availabilityStep(core.host, p.id)];
        if (needsAuth) {
          const pluginRoles = core.overrides(p.id)?.roles ?? [];
          const needsPrincipal = e.roles.length > 0 || e.permissions.length > 0 || pluginRoles.length > 0;
          steps.push(
            authStep(core.host, core.authPluginId!, { pluginId: p.id, method: 'GET', path, auth: e.auth, needsPrincipal, roles: e.roles, permissions: e.permissions, pluginRoles }, core.logger),
          );
        }
        if (route.limiter) steps.push(rateLimitStep(core, p.id, route.limiter, route.metrics));
        steps.push(this.acceptStep(route));
        try {
          router.on('GET' as HTTPMethod, toRouterPath(path), () => undefined, { route, steps });
        } catch (err) {
          core.logger.error({ plugin_id: p.id, path, err: { message: (err as Error).message } }, `WebSocket endpoint ${path} of ${p.id} conflicts with another; not served`);
        }
      }
    }
    this.router = router;
  }

  private route(pluginId: string, path: string, e: EndpointSpec): WsRoute {
    const key = `${pluginId}|${path}`;
    let metrics = this.metrics.get(key);
    if (!metrics) this.metrics.set(key, (metrics = this.core.metrics.forRoute(pluginId, path, 'GET')));
    let limiter: EndpointRateLimiter | undefined;
    if (e.rateLimit) {
      const lkey = `${key}|${e.rateLimit.raw}`;
      limiter = this.limiters.get(lkey);
      if (!limiter) {
        const rl = this.core.config.gateway.rateLimit;
        limiter = new EndpointRateLimiter(e.rateLimit, `${pluginId}:WS:${path}`, { store: rl.store, keyPrefix: rl.keyPrefix, redis: this.core.redis });
        this.limiters.set(lkey, limiter);
      }
    }
    return { pluginId, path, endpoint: e, limits: e.websocket ?? DEFAULT_WEBSOCKET_LIMITS, limiter, metrics, key };
  }
}
