// Remote plugins' upstreams in the admin API: GET /admin/upstreams (every remote plugin) and
// GET /admin/plugins/:id/upstreams: each upstream's state (healthy, unhealthy, ejected), what it
// has in flight, its requests, errors, latency, ejections and last health check.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { PluginInstance } from '../../host/types.js';
import type { UpstreamSnapshot } from '../../runtimes/types.js';
import type { GatewayCore } from '../core.js';

export function upstreamJson(u: UpstreamSnapshot): Record<string, unknown> {
  return {
    url: u.url,
    state: u.state,
    source: u.source,
    in_flight: u.inFlight,
    requests: u.requests,
    errors: u.errors,
    latency_mean_ms: u.latencyMeanMs,
    latency_p99_ms: u.latencyP99Ms,
    ejections: u.ejections,
    consecutive_errors: u.consecutiveErrors,
    ejected_until: u.ejectedUntil ? new Date(u.ejectedUntil).toISOString() : null,
    last_check: u.lastCheck ? { at: new Date(u.lastCheck.at).toISOString(), ok: u.lastCheck.ok, reason: u.lastCheck.reason ?? null } : null,
  };
}

/** A remote plugin's upstreams as the admin API shows them; undefined for other runtimes. */
export async function remoteView(p: PluginInstance): Promise<Record<string, unknown> | undefined> {
  const spec = p.manifest.runtime.remote;
  if (p.manifest.runtime.type !== 'remote' || !spec) return undefined;
  const usage = ((await p.runtime?.resourceUsage().catch(() => undefined)) ?? {}) as { retries?: { granted: number; refused: number } };
  return {
    id: p.id,
    version: p.version,
    state: p.state,
    balance: spec.balance,
    protocol: spec.protocol,
    discover: spec.discover ? { source: spec.discover.source, service: spec.discover.service } : null,
    retries: { attempts: spec.retries.attempts, granted: usage.retries?.granted ?? 0, refused_by_budget: usage.retries?.refused ?? 0 },
    upstreams: (p.runtime?.upstreams?.() ?? []).map(upstreamJson),
  };
}

/** `find` answers the 404 itself when there is no such plugin (the admin API's error body). */
type Find = (request: FastifyRequest<{ Params: { id: string } }>, reply: FastifyReply) => PluginInstance | undefined;

export async function registerUpstreamRoutes(app: FastifyInstance, core: GatewayCore, find: Find): Promise<void> {
  app.get('/upstreams', async () => {
    const views = await Promise.all(core.plugins().map(remoteView));
    const plugins = views.filter((v): v is Record<string, unknown> => v !== undefined);
    return { plugins, count: plugins.length };
  });

  app.get<{ Params: { id: string } }>('/plugins/:id/upstreams', async (request, reply) => {
    const p = find(request, reply);
    if (!p) return reply;
    const view = await remoteView(p);
    if (!view) return reply.send({ id: p.id, runtime: p.manifest.runtime.type, upstreams: [] });
    return view;
  });
}
