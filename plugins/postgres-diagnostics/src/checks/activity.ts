// Checklist 2–3: sessions idle in a transaction (> 5 min, or ≥ 100 of them), statements running
// ≥ 60 s, and transactions older than 1 h.
import type { Finding } from 'plugway/sdk';
import { finding, num, round, type Check, type CheckInput } from '../types.js';

const C = 'activity';

export const activityCheck: Check = {
  name: 'activity',
  category: C,
  async run(input: CheckInput): Promise<Finding[]> {
    const out: Finding[] = [];
    const rows = await input.query(
      `SELECT pid, usename AS user, datname AS database, application_name, client_addr::text AS client, state,
              extract(epoch FROM now() - state_change)::float8 AS state_seconds,
              extract(epoch FROM now() - query_start)::float8 AS query_seconds,
              extract(epoch FROM now() - xact_start)::float8 AS xact_seconds,
              left(query, 200) AS query
         FROM pg_stat_activity
        WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()`,
    );
    const c = input.config;
    const idle = rows.filter((r) => r.state === 'idle in transaction' || r.state === 'idle in transaction (aborted)');
    const idleLong = idle.filter((r) => num(r.state_seconds) >= c.idle_in_transaction_warning_seconds);
    input.metrics.idle_in_transaction = idle.length;
    if (idleLong.length > 0 || idle.length >= c.idle_in_transaction_warning_count) {
      const longest = Math.max(...idle.map((r) => num(r.state_seconds)));
      out.push(
        finding(
          C,
          'warning',
          'PG_IDLE_IN_TRANSACTION',
          `${idle.length} session(s) idle in a transaction, ${idleLong.length} of them for ${c.idle_in_transaction_warning_seconds} s or more (longest ${round(longest, 1)} s).`,
          {
            sessions: (idleLong.length ? idleLong : idle).slice(0, 10).map(brief),
            count: idle.length,
            warning_seconds: c.idle_in_transaction_warning_seconds,
            warning_count: c.idle_in_transaction_warning_count,
          },
          'The application opened a transaction and stopped talking: fix it to commit or roll back, and set idle_in_transaction_session_timeout.',
        ),
      );
    }
    const active = rows.filter((r) => r.state === 'active' && num(r.query_seconds) >= c.long_query_warning_seconds);
    input.metrics.longest_query_seconds = round(Math.max(0, ...rows.filter((r) => r.state === 'active').map((r) => num(r.query_seconds) || 0)), 1);
    if (active.length > 0) {
      out.push(
        finding(
          C,
          'warning',
          'PG_LONG_QUERY',
          `${active.length} statement(s) running for ${c.long_query_warning_seconds} s or more (longest ${round(Math.max(...active.map((r) => num(r.query_seconds))), 1)} s).`,
          { queries: active.slice(0, 10).map(brief), warning_seconds: c.long_query_warning_seconds },
          'EXPLAIN them (action explain); cancel a runaway one with the cancel-backend action when destructive actions are enabled; set statement_timeout.',
        ),
      );
    }
    const oldXact = rows.filter((r) => num(r.xact_seconds) >= c.long_transaction_critical_seconds);
    const oldestXact = Math.max(0, ...rows.map((r) => num(r.xact_seconds) || 0));
    input.metrics.oldest_transaction_seconds = round(oldestXact, 1);
    if (oldXact.length > 0) {
      out.push(
        finding(
          C,
          'critical',
          'PG_LONG_TRANSACTION',
          `${oldXact.length} transaction(s) open for ${c.long_transaction_critical_seconds} s or more (oldest ${round(oldestXact, 0)} s).`,
          { transactions: oldXact.slice(0, 10).map(brief), critical_seconds: c.long_transaction_critical_seconds },
          'An old transaction holds back vacuum (bloat, wraparound) and may hold locks: end it.',
        ),
      );
    }
    return out;
  },
};

function brief(r: Record<string, unknown>) {
  return {
    pid: r.pid,
    user: r.user,
    database: r.database,
    application: r.application_name,
    client: r.client,
    state: r.state,
    state_seconds: round(num(r.state_seconds), 1),
    query_seconds: round(num(r.query_seconds), 1),
    xact_seconds: round(num(r.xact_seconds), 1),
    query: r.query,
  };
}
