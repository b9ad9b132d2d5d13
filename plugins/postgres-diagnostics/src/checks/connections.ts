// Checklist 1: client backends against the limit applications can use, max_connections minus
// superuser_reserved_connections (check_postgres: 90% warning, 95% critical); the diagnosis's own
// connection does not count. At the limit, new non-superuser connections are being refused: critical.
import type { Finding } from 'plugway/sdk';
import { finding, level, num, pct, round, type Check, type CheckInput } from '../types.js';

const C = 'connections';

export const connectionsCheck: Check = {
  name: 'connections',
  category: C,
  async run(input: CheckInput): Promise<Finding[]> {
    const rows = await input.query(
      "SELECT coalesce(state, 'background') AS state, count(*)::int AS n FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() GROUP BY 1",
    );
    const byState: Record<string, number> = {};
    for (const r of rows) byState[String(r.state)] = num(r.n);
    const used = Object.values(byState).reduce((s, n) => s + n, 0);
    const max = num(input.settings.max_connections);
    const reserved = num(input.settings.superuser_reserved_connections) || 0;
    const usable = max - reserved;
    input.metrics.connections = used;
    input.metrics.max_connections = max;
    input.metrics.usable_connections = usable;
    for (const [state, n] of Object.entries(byState)) input.metrics[`connections_${state.replace(/\W+/g, '_')}`] = n;
    if (!(usable > 0)) return [];
    const ratio = used / usable;
    input.metrics.connections_ratio = round(ratio);
    const refusing = used >= usable;
    const sev = refusing ? 'critical' : level(ratio, input.config.connections_warning_ratio, input.config.connections_critical_ratio);
    if (!sev) return [];
    const message = refusing
      ? `${used} connections use all ${usable} slots open to applications (max_connections ${max} − ${reserved} reserved for superusers): new non-superuser connections are refused.`
      : `${used} of ${usable} usable connections in use (${pct(ratio)}; max_connections ${max}, ${reserved} reserved for superusers).`;
    return [
      finding(
        C,
        sev,
        'PG_CONNECTIONS_HIGH',
        message,
        {
          connections: used,
          usable_connections: usable,
          max_connections: max,
          superuser_reserved_connections: reserved,
          refusing,
          by_state: byState,
          ratio: round(ratio),
          warning_ratio: input.config.connections_warning_ratio,
          critical_ratio: input.config.connections_critical_ratio,
        },
        'Put a pooler (PgBouncer) in front, close idle connections, or raise max_connections if memory allows.',
      ),
    ];
  },
};
