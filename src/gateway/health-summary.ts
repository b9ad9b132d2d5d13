// The overall health the admin API and the dashboard show, computed only from what is known:
// plugins not yet checked are `unknown` and counted apart; `disabled` (deliberately idle) is no fault.

export type OverallHealth = 'healthy' | 'degraded' | 'unhealthy' | 'unknown';

export interface PluginHealthRow {
  id: string;
  state: string;
  enabled: boolean;
  health: string;
}

export interface HealthSummary {
  status: OverallHealth;
  /** Plugins per health (enabled ones; a failed plugin counts as unhealthy). */
  counts: Record<'healthy' | 'degraded' | 'unhealthy' | 'unknown' | 'disabled', number>;
}

/**
 * unhealthy: an enabled plugin is unhealthy or failed; degraded: one is degraded; healthy: at
 * least one was checked and every checked one is healthy (or disabled); unknown: none checked yet.
 */
export function summarizeHealth(rows: readonly PluginHealthRow[]): HealthSummary {
  const counts = { healthy: 0, degraded: 0, unhealthy: 0, unknown: 0, disabled: 0 };
  for (const p of rows) {
    if (!p.enabled) continue;
    const h = p.state === 'failed' ? 'unhealthy' : p.health;
    if (h in counts) counts[h as keyof typeof counts]++;
    else counts.unknown++;
  }
  const status: OverallHealth = counts.unhealthy ? 'unhealthy' : counts.degraded ? 'degraded' : counts.healthy ? 'healthy' : 'unknown';
  return { status, counts };
}
