// What the host says about one plugin record: its info (GET /admin/plugins, host.info) and its
// call figures (the host's count of calls in traffic.ts, with what only its runtime knows).

import type { RuntimeStats } from '../runtimes/types.js';
import type { PluginInfo, PluginMetrics } from '../sdk/types.js';
import type { PluginRecord } from './registry.js';
import type { Traffic } from './traffic.js';

export function statsOf(rec: PluginRecord, traffic: Traffic): RuntimeStats {
  const own = rec.runtime!.stats();
  const c = traffic.countersOf(rec);
  return { ...own, calls: c.calls, errors: c.errors, inFlight: c.inFlight, totalMs: c.totalMs, lastCallAt: rec.lastUsedMs ? Math.round(rec.lastUsedMs) : undefined };
}

export function infoOf(rec: PluginRecord, enabled: boolean): PluginInfo {
  const m = rec.manifest;
  const info: PluginInfo = {
    id: rec.id,
    name: m.name,
    version: rec.version,
    kind: m.kind,
    runtime: m.runtime.type,
    capabilities: m.capabilities,
    state: rec.state,
    health: rec.health,
    enabled,
  };
  if (m.description !== undefined) info.description = m.description;
  if (m.author !== undefined) info.author = m.author;
  if (m.license !== undefined) info.license = m.license;
  if (m.homepage !== undefined) info.homepage = m.homepage;
  if (rec.loadedAt) info.loadedAt = rec.loadedAt.toISOString();
  if (rec.lastUsedMs) info.lastUsed = new Date(rec.lastUsedMs).toISOString();
  if (rec.error) info.error = { code: rec.error.code, message: rec.error.message };
  return info;
}

/** A plugin's metrics: the host's count of calls, its runtime's resource usage, and the plugin's own `metrics()` (which adds to, never replaces, the host's figures). */
export async function metricsOf(rec: PluginRecord, s: RuntimeStats | undefined): Promise<PluginMetrics> {
  const runtime = rec.runtime;
  const usage = runtime ? await runtime.resourceUsage().catch(() => ({})) : {};
  let own: Partial<PluginMetrics> = {};
  if (rec.state === 'running' && runtime?.implements('metrics')) {
    own = (await runtime.call<Partial<PluginMetrics>>('metrics', [], { probe: true }).catch(() => undefined)) ?? {};
  }
  return {
    ...own,
    cpuUsagePercent: 0,
    memoryUsageMb: 0,
    ...usage,
    requestCount: s?.calls ?? 0,
    errorCount: s?.errors ?? 0,
    responseTimeMs: s && s.calls ? s.totalMs / s.calls : 0,
    activeConnections: s?.inFlight ?? 0,
    timeoutCount: s?.timeouts ?? 0,
  };
}
