// Checklist 1: backends against max_connections (check_postgres: 90% warning, 95% critical).
import type { Finding } from 'plugway/sdk';
import { finding, level, num, pct, round, type Check, type CheckInput } from '../types.js';

const C = 'connections';

export const connectionsCheck: Check = {
  name: 'connections',
  category: C,
  async run(input: CheckInput): Promise<Finding[]> {
    const rows = await input.query(
      "SELECT coalesce(state, 'background') AS state, count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'client backend' GROUP BY 1",
    );
    const byState: Record<string, number> = {};
    for (const r of rows) byState[String(r.state)] = num(r.n);
    const used = Object.values(byState).reduce((s, n) => s + n, 0);
    const max = num(input.settings.max_connections);
    const reserved = num(input.settings.superuser_reserved_connections) || 0;
    input.metrics.connections = used;
    input.metrics.max_connections = max;
    for (const [state, n] of Object.entries(byState)) input.metrics[`connections_${state.replace(/\W+/g, '_')}`] = n;
    if (!(max > 0)) return [];
    const ratio = used / max;
    input.metrics.connections_ratio = round(ratio);
    const sev = level(ratio, input.config.connections_warning_ratio, input.config.connections_critical_ratio);
    if (!sev) return [];
    return [finding(C, sev, 'PG_CONNECTIONS_HIGH', `${used} of ${max} connections in use (${pct(ratio)}); ${reserved} are reserved for superusers.`,
      { connections: used, max_connections: max, superuser_reserved_connections: reserved, by_state: byState, ratio: round(ratio), warning_ratio: input.config.connections_warning_ratio, critical_ratio: input.config.connections_critical_ratio },
      'Put a pooler (PgBouncer) in front, close idle connections, or raise max_connections if memory allows.')];
  },
};
