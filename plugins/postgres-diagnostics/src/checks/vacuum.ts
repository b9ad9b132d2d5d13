// Checklist 6 and 8: transaction id wraparound (check_postgres: 1.3B / 1.4B), freeze age against
// autovacuum_freeze_max_age (90/95%), and tables with dead rows not vacuumed for 1 d / 2 d.
import type { Finding } from 'plugway/sdk';
import { finding, level, num, round, type Check, type CheckInput } from '../types.js';

const C = 'vacuum';

export const vacuumCheck: Check = {
  name: 'vacuum and wraparound',
  category: C,
  async run(input: CheckInput): Promise<Finding[]> {
    const out: Finding[] = [];
    const c = input.config;
    const dbs = await input.query('SELECT datname, age(datfrozenxid)::bigint AS xid_age FROM pg_database WHERE datallowconn ORDER BY 2 DESC');
    const oldest = dbs[0];
    const age = oldest ? num(oldest.xid_age) : 0;
    const freezeMax = num(input.settings.autovacuum_freeze_max_age) || 200_000_000;
    input.metrics.max_xid_age = age;
    input.metrics.freeze_age_ratio = round(age / freezeMax);
    const wrap = level(age, c.wraparound_warning_xids, c.wraparound_critical_xids);
    if (wrap) {
      out.push(
        finding(
          C,
          wrap,
          'PG_TXID_WRAPAROUND',
          `Database ${String(oldest!.datname)} is ${age} transactions from its frozen horizon (wraparound at about 2.1 billion).`,
          { database: oldest!.datname, xid_age: age, warning_xids: c.wraparound_warning_xids, critical_xids: c.wraparound_critical_xids },
          'Run VACUUM FREEZE on the oldest tables of that database now; find what blocks autovacuum (long transactions, prepared transactions, inactive slots).',
        ),
      );
    }
    const freeze = level(age / freezeMax, c.freeze_age_warning_ratio, c.freeze_age_critical_ratio);
    if (freeze) {
      out.push(
        finding(
          C,
          freeze,
          'PG_FREEZE_AGE',
          `Database ${String(oldest!.datname)} reached ${round((age / freezeMax) * 100, 1)}% of autovacuum_freeze_max_age.`,
          { database: oldest!.datname, xid_age: age, autovacuum_freeze_max_age: freezeMax, warning_ratio: c.freeze_age_warning_ratio, critical_ratio: c.freeze_age_critical_ratio },
          'An anti-wraparound autovacuum is due or running; make sure it can finish (no long transactions) or VACUUM FREEZE manually.',
        ),
      );
    }
    // Tables never vacuumed can only be judged when the statistics are older than the limit.
    const stale = await input.query(
      `SELECT schemaname, relname, n_dead_tup::bigint AS dead_tuples,
              extract(epoch FROM now() - greatest(last_vacuum, last_autovacuum))::float8 AS since_vacuum_seconds,
              extract(epoch FROM now() - coalesce((SELECT stats_reset FROM pg_stat_database WHERE datname = current_database()), pg_postmaster_start_time()))::float8 AS stats_age_seconds
         FROM pg_stat_user_tables WHERE n_dead_tup >= $1 ORDER BY n_dead_tup DESC LIMIT 50`,
      [c.vacuum_min_dead_tuples],
    );
    const flagged = stale
      .map((r) => ({
        schemaname: r.schemaname,
        relname: r.relname,
        dead_tuples: r.dead_tuples,
        age: Number.isFinite(num(r.since_vacuum_seconds)) ? num(r.since_vacuum_seconds) : num(r.stats_age_seconds),
        never: !Number.isFinite(num(r.since_vacuum_seconds)),
      }))
      .filter((r) => r.age >= c.vacuum_warning_seconds);
    if (flagged.length > 0) {
      const worst = Math.max(...flagged.map((r) => r.age));
      out.push(
        finding(
          C,
          worst >= c.vacuum_critical_seconds ? 'critical' : 'warning',
          'PG_VACUUM_STALE',
          `${flagged.length} table(s) with ${c.vacuum_min_dead_tuples}+ dead rows have not been vacuumed for ${round(c.vacuum_warning_seconds / 3600, 1)} h or more.`,
          {
            tables: flagged
              .slice(0, 10)
              .map((r) => ({ table: `${String(r.schemaname)}.${String(r.relname)}`, dead_tuples: num(r.dead_tuples), since_vacuum_seconds: round(r.age, 0), never_vacuumed: r.never })),
            warning_seconds: c.vacuum_warning_seconds,
            critical_seconds: c.vacuum_critical_seconds,
          },
          'Check that autovacuum is on and not blocked; VACUUM (ANALYZE) these tables, and lower autovacuum_vacuum_scale_factor for big ones.',
        ),
      );
    }
    return out;
  },
};
