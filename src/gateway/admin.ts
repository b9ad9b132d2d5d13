// The admin API under /admin: plugins (list, detail, enable, disable, reload, metrics), hook
// stats, health, and its OpenAPI document. Bearer token compared in constant time; every
// action is written to the audit log and enabled/disabled to the desired state.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { PlugwayError, reasonOf } from '../errors.js';
import type { PluginInstance } from '../host/types.js';
import type { PluginMetrics } from '../sdk/types.js';
import type { AuditLog } from '../state/audit-log.js';
import { tokenIdentity } from '../state/audit-log.js';
import { tokenMatches } from '../state/admin-token.js';
import type { StateStore } from '../state/types.js';
import type { GatewayCore } from './core.js';
import type { ClusterNode } from '../cluster/index.js';
import type { Operator } from './operator.js';
import { adminHostAllowed, hostName } from './host-check.js';
import { errorBody, failure } from './http-errors.js';
import { redactSecrets } from './logging.js';
import { adminOpenApi } from './openapi.js';
import type { AlertEngine } from './alerts/engine.js';
import { summarizeHealth } from './health-summary.js';
import { registerReleaseRoutes, rollbackTarget, withStep } from './admin/versions-routes.js';
import { requestIdOf } from './request-id.js';
import { registerUpstreamRoutes, remoteView } from './admin/upstream-routes.js';
import { joinPrefix } from './route-table.js';

export interface AdminDeps {
  core: GatewayCore;
  store: StateStore;
  audit: AuditLog;
  tokenDigest: Buffer;
  /** This node in the cluster (etcd); GET /admin/nodes lists only this node without it. */
  cluster?: ClusterNode;
  operator: Operator;
  /** GET /admin/alerts lists its alerts (docs/alerts.md). */
  alerts?: AlertEngine;
  /** gateway.admin.allowed_hosts (host-check.ts). */
  allowedHosts?: readonly string[];
  /** Open WebSocket connections, per plugin or all (GET /admin/stats). */
  openWebSockets?: (pluginId?: string) => number;
  /** The configured token, when plugin code can read it (refused with its own code). */
  exposed?: { digest: Buffer; where: string };
}

function bearer(request: FastifyRequest): string | undefined {
  const h = request.headers.authorization;
  if (typeof h !== 'string') return undefined;
  const m = /^Bearer\s+(.+)$/i.exec(h.trim());
  return m ? m[1]!.trim() : undefined;
}

function sendError(reply: FastifyReply, err: PlugwayError, rid: string, headers?: Record<string, string>): FastifyReply {
  const f = failure(err, headers);
  if (f.headers) reply.headers(f.headers);
  return reply
    .code(f.status)
    .header('content-type', 'application/json; charset=utf-8')
    .send(withStep(errorBody(f, rid), err));
}

export async function registerAdmin(app: FastifyInstance, deps: AdminDeps): Promise<void> {
  const { core, store, audit, operator } = deps;
  const host = core.host;

  app.addHook('onRequest', async (request, reply) => {
    const rid = requestIdOf(request.headers['x-request-id']);
    reply.header('x-request-id', rid);
    (request as FastifyRequest & { rid?: string }).rid = rid;
    if (!adminHostAllowed(request.headers.host, deps.allowedHosts ?? [])) {
      return sendError(reply, new PlugwayError('PLW_ERR_HOST_NOT_ALLOWED', { host: hostName(request.headers.host) }), rid);
    }
    const token = bearer(request);
    if (deps.exposed && tokenMatches(token, deps.exposed.digest)) {
      await audit.appendDenied({ actor: 'exposed-token', action: actionOf(request.url), target: targetOf(request.url), code: 'PLW_ERR_ADMIN_TOKEN_EXPOSED' }).catch(() => undefined);
      return sendError(reply, new PlugwayError('PLW_ERR_ADMIN_TOKEN_EXPOSED', { where: deps.exposed.where }), rid, { 'www-authenticate': 'Bearer realm="plugway-admin", error="invalid_token"' });
    }
    if (!tokenMatches(token, deps.tokenDigest)) {
      if (request.method === 'POST') {
        await audit.appendDenied({ actor: tokenIdentity(token), action: actionOf(request.url), target: targetOf(request.url), code: 'PLW_ERR_ADMIN_UNAUTHORIZED' }).catch(() => undefined);
      }
      return sendError(reply, new PlugwayError('PLW_ERR_ADMIN_UNAUTHORIZED', {}), rid, { 'www-authenticate': 'Bearer realm="plugway-admin"' });
    }
  });
  const ridOf = (r: FastifyRequest) => (r as FastifyRequest & { rid?: string }).rid ?? requestIdOf(undefined);

  const summary = async (p: PluginInstance) => {
    const info = host.info(p.id);
    let metrics: unknown;
    try {
      metrics = { ...metricsJson(await host.metrics(p.id)), gateway: gatewayStats(core, p.id) };
    } catch (err) {
      metrics = { error: reasonOf(err) };
    }
    return {
      id: p.id,
      name: p.manifest.name,
      version: p.version,
      kind: p.manifest.kind,
      runtime: p.manifest.runtime.type,
      description: p.manifest.description ?? null,
      enabled: host.isEnabled(p.id),
      state: p.state,
      health: p.health,
      loaded_at: info?.loadedAt ?? p.loadedAt?.toISOString() ?? null,
      last_used: info?.lastUsed ?? p.lastUsedAt?.toISOString() ?? null,
      metrics,
      ...(await rollbackTarget(host, p.id)),
      ...(p.error ? { error: { code: p.error.code, message: p.error.message } } : {}),
    };
  };

  const find = (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply): PluginInstance | undefined => {
    const p = host.get(request.params.id);
    if (!p) sendError(reply, new PlugwayError('PLW_ERR_PLUGIN_NOT_FOUND', { id: request.params.id }), ridOf(request));
    return p;
  };

  app.get('/plugins', async () => {
    const plugins = await Promise.all(core.plugins().map(summary));
    return { plugins, count: plugins.length };
  });

  app.get<{ Params: { id: string } }>('/plugins/:id', async (request, reply) => {
    const p = find(request, reply);
    if (!p) return reply;
    const prefix = core.overrides(p.id)?.prefix;
    return {
      ...(await summary(p)),
      manifest: redactSecrets(p.manifest),
      config: redactSecrets(p.config),
      dependencies: p.manifest.dependencies,
      dependents: host.dependentsOf(p.id),
      endpoints: p.manifest.endpoints.map((e) => ({
        method: e.method,
        path: joinPrefix(prefix, e.path),
        auth: e.auth,
        roles: e.roles,
        permissions: e.permissions,
        rate_limit: e.rateLimit?.raw ?? null,
        description: e.description ?? null,
      })),
      circuit: core.circuitState(p.id) ?? 'closed',
      ...(p.manifest.runtime.type === 'remote' ? { remote: await remoteView(p) } : {}),
    };
  });

  app.get<{ Params: { id: string } }>('/plugins/:id/metrics', async (request, reply) => {
    const p = find(request, reply);
    if (!p) return reply;
    return { id: p.id, version: p.version, ...metricsJson(await host.metrics(p.id)), gateway: gatewayStats(core, p.id) };
  });

  for (const action of ['enable', 'disable', 'reload'] as const) {
    app.post<{ Params: { id: string } }>(`/plugins/:id/${action}`, async (request, reply) => {
      const id = request.params.id;
      const actor = tokenIdentity(bearer(request));
      const rid = ridOf(request);
      let unchanged = false;
      if (!host.get(id)) {
        await audit.append({ actor, action, target: id, result: 'error', code: 'PLW_ERR_PLUGIN_NOT_FOUND' });
        return sendError(reply, new PlugwayError('PLW_ERR_PLUGIN_NOT_FOUND', { id }), rid);
      }
      try {
        await operator.perform({
          actor,
          action,
          id,
          run: async () => {
            if (action === 'enable') return host.enable(id);
            if (action === 'disable') return host.disable(id);
            // Through the release manager, so the swap is counted as trigger="api" (not "host").
            unchanged = (await host.releases.reload(id, 'api')).unchanged === true;
          },
          remember: () => (action === 'reload' ? (unchanged ? undefined : { version: host.get(id)?.version, resetBreaker: true }) : { enabled: action === 'enable' }),
        });
      } catch (err) {
        return sendError(reply, err as PlugwayError, rid);
      }
      const p = host.get(id)!;
      const body = { id, action, enabled: host.isEnabled(id), state: p.state, version: p.version };
      return action === 'reload' ? { ...body, unchanged } : body;
    });
  }

  // Stats per hook name; the seed's handleHookStats is mounted at /plugins/hooks/stats, kept as an alias.
  const hookStats = async () => ({ hooks: host.hooks.stats() });
  app.get('/hooks/stats', hookStats);
  app.get('/plugins/hooks/stats', hookStats);
  app.get('/alerts', async () => deps.alerts?.list() ?? { firing: [], pending: [], resolved: [], rules: [] });

  app.get<{ Querystring: { refresh?: string } }>('/health', async (request) => {
    const refresh = request.query.refresh === '1' || request.query.refresh === 'true';
    const plugins = await Promise.all(
      core.plugins().map(async (p) => {
        let detail = p.healthDetail;
        if (refresh && p.state === 'running') detail = await host.checkHealth(p.id).catch((err) => ({ status: 'unhealthy' as const, message: reasonOf(err) }));
        const cur = host.get(p.id) ?? p;
        // Once the state moved on (stopped, reloaded), the kept detail no longer describes it.
        const health = cur.health === 'unknown' && !refresh ? 'unknown' : (detail?.status ?? cur.health);
        return { id: p.id, state: cur.state, enabled: host.isEnabled(p.id), health, message: detail?.message ?? null, hint: detail?.hint ?? null, circuit: core.circuitState(p.id) ?? 'closed' };
      }),
    );
    const { status, counts } = summarizeHealth(plugins);
    return { status, counts, plugins };
  });

  app.get('/openapi.json', async () => adminOpenApi());

  // versions, rollback, canary (the versions kept and the hot_reload watcher are wired by createGateway)
  await registerReleaseRoutes(app, { core, operator: deps.operator });
  // Unknown admin paths are answered after the token check (the hook above), so route names cannot be probed.
  const unknownPath = async (request: FastifyRequest, reply: FastifyReply) =>
    sendError(reply, new PlugwayError('PLW_ERR_ROUTE_NOT_FOUND', { method: request.method, path: request.url.split('?')[0] }), ridOf(request));
  app.all('/*', unknownPath);
  app.all('/', unknownPath);
  await (await import('./admin/discover-routes.js')).registerDiscoverRoutes(app, { core, store, audit }); // POST /plugins/discover
  await (await import('./admin/flags-routes.js')).registerFlagRoutes(app, { core, audit }); // PUT /plugins/:id/flags/:name
  await (await import('./admin/stats-routes.js')).registerStatsRoutes(app, { core, openWebSockets: deps.openWebSockets }); // GET /stats
  await (await import('./admin/cluster-routes.js')).registerClusterRoutes(app, { core, cluster: deps.cluster, audit, operator: deps.operator }); // GET /nodes
  await registerUpstreamRoutes(app, core, find); // remote plugins' upstreams
}

function actionOf(url: string): string {
  const m = /\/plugins\/[^/]+\/(\w+)/.exec(url);
  return m ? m[1]! : url;
}
function targetOf(url: string): string {
  const m = /\/plugins\/([^/?]+)/.exec(url);
  return m ? decodeURIComponent(m[1]!) : url;
}

/**
 * PluginMetrics as JSON: the SDK's names (requestCount…) and, beside them, the seed's JSON names
 * (request_count, error_count, response_time_ms, cpu_usage_percent, memory_usage_mb,
 * active_connections), which the rest of the admin API's snake_case matches.
 */
export function metricsJson(m: PluginMetrics): PluginMetrics & Record<string, unknown> {
  return {
    ...m,
    request_count: m.requestCount,
    error_count: m.errorCount,
    response_time_ms: m.responseTimeMs,
    cpu_usage_percent: m.cpuUsagePercent,
    memory_usage_mb: m.memoryUsageMb,
    active_connections: m.activeConnections,
  };
}

export function gatewayStats(core: GatewayCore, id: string): Record<string, unknown> {
  const g = core.guard(id);
  return { circuit: g.breaker.state, in_flight: g.bulkhead.active, bulkhead_rejected: g.bulkhead.rejected };
}
