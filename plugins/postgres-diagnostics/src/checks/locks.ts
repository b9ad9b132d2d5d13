// Checklist 9: lock count (check_postgres: 100 / 150) and lock waits (1 min / 2 min), with the
// blocking backends named.
import type { Finding } from 'plugway/sdk';
import { finding, level, num, round, type Check, type CheckInput } from '../types.js';

const C = 'locks';

export const locksCheck: Check = {
  name: 'locks',
  category: C,
  async run(input: CheckInput): Promise<Finding[]> {
    const out: Finding[] = [];
    const c = input.config;
    const [total] = await input.query('SELECT count(*)::int AS n, count(*) FILTER (WHERE NOT granted)::int AS waiting FROM pg_locks');
    const n = num(total!.n);
    input.metrics.locks = n;
    input.metrics.locks_waiting = num(total!.waiting);
    const sev = level(n, c.locks_warning, c.locks_critical);
    if (sev) {
      out.push(
        finding(
          C,
          sev,
          'PG_LOCKS_HIGH',
          `${n} locks are held or awaited.`,
          { locks: n, waiting: num(total!.waiting), warning: c.locks_warning, critical: c.locks_critical },
          'Many locks usually mean many concurrent transactions touching many relations (or partitions); look for long transactions.',
        ),
      );
    }
    // pg_locks.waitstart exists from PostgreSQL 14; before that the statement start is the best bound.
    const since = input.server.versionNum >= 140000 ? 'coalesce(l.waitstart, a.query_start)' : 'a.query_start';
    const waits = await input.query(
      `SELECT l.pid, l.locktype, l.mode, l.relation::regclass::text AS relation, extract(epoch FROM now() - ${since})::float8 AS wait_seconds,
              pg_blocking_pids(l.pid) AS blocked_by, left(a.query, 200) AS query
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE NOT l.granted ORDER BY 5 DESC LIMIT 20`,
    );
    const longest = Math.max(0, ...waits.map((w) => num(w.wait_seconds) || 0));
    input.metrics.longest_lock_wait_seconds = round(longest, 1);
    const wSev = level(longest, c.lock_wait_warning_seconds, c.lock_wait_critical_seconds);
    if (wSev) {
      const over = waits.filter((w) => num(w.wait_seconds) >= c.lock_wait_warning_seconds);
      out.push(
        finding(
          C,
          wSev,
          'PG_LOCK_WAITS',
          `${over.length} backend(s) have waited ${c.lock_wait_warning_seconds} s or more for a lock (longest ${round(longest, 1)} s).`,
          { waits: over.map((w) => ({ ...w, wait_seconds: round(num(w.wait_seconds), 1) })), warning_seconds: c.lock_wait_warning_seconds, critical_seconds: c.lock_wait_critical_seconds },
          'End or speed up the blocking transaction (blocked_by); set lock_timeout in applications that must not queue.',
        ),
      );
    }
    return out;
  },
};
