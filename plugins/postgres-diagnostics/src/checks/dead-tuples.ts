// Checklist 7-8 without ANALYZE: dead rows against live rows per table from pg_stat_user_tables
// (counted by every write, so tables never analyzed are judged too), and autovacuum switched off.
import type { Finding } from 'plugway/sdk';
import { bytes, finding, num, round, type Check, type CheckInput } from '../types.js';

const C = 'vacuum';

const when = (v: unknown) => (v === null || v === undefined ? null : String(v));

export const deadTuplesCheck: Check = {
  name: 'dead tuples',
  category: C,
  async run(input: CheckInput): Promise<Finding[]> {
    const out: Finding[] = [];
    const c = input.config;
    const autovacuum = input.settings.autovacuum;
    if (autovacuum === 'off') {
      out.push(
        finding(
          C,
          'warning',
          'PG_AUTOVACUUM_OFF',
          'autovacuum is off: dead rows pile up, statistics go stale, and nothing protects against transaction id wraparound but anti-wraparound runs.',
          { autovacuum, track_counts: input.settings.track_counts },
          'Turn it back on (ALTER SYSTEM SET autovacuum = on; SELECT pg_reload_conf()); switch it off per table (autovacuum_enabled = false) only where a job VACUUMs instead.',
        ),
      );
    }
    const rows = await input.query(
      `SELECT s.schemaname, s.relname, s.n_live_tup::float8 AS live, s.n_dead_tup::float8 AS dead, pg_table_size(s.relid)::float8 AS size_bytes,
              s.last_vacuum::text AS last_vacuum, s.last_autovacuum::text AS last_autovacuum, s.last_analyze::text AS last_analyze, s.last_autoanalyze::text AS last_autoanalyze,
              coalesce(array_to_string(c.reloptions, ',') ~ 'autovacuum_enabled=(false|off)', false) AS autovacuum_disabled
         FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
        WHERE s.n_dead_tup >= $1 AND s.n_dead_tup >= $2::float8 * (s.n_live_tup + s.n_dead_tup) AND pg_table_size(s.relid) >= $3::float8
        ORDER BY s.n_dead_tup DESC LIMIT 20`,
      [c.vacuum_min_dead_tuples, c.dead_tuples_warning_ratio, c.dead_tuples_min_table_bytes],
    );
    const tables = rows.map((r) => {
      const dead = num(r.dead);
      const ratio = dead / Math.max(1, dead + num(r.live));
      return {
        table: `${String(r.schemaname)}.${String(r.relname)}`,
        dead_tuples: dead,
        live_tuples: num(r.live),
        dead_ratio: round(ratio),
        size_bytes: num(r.size_bytes),
        size: bytes(num(r.size_bytes)),
        last_vacuum: when(r.last_vacuum),
        last_autovacuum: when(r.last_autovacuum),
        last_analyze: when(r.last_analyze),
        last_autoanalyze: when(r.last_autoanalyze),
        autovacuum_disabled: r.autovacuum_disabled === true,
      };
    });
    input.metrics.max_dead_tuple_ratio = tables.reduce((m, t) => Math.max(m, t.dead_ratio), 0);
    if (tables.length > 0) {
      const worst = tables.reduce((a, b) => (b.dead_ratio > a.dead_ratio ? b : a));
      const sev = worst.dead_ratio >= c.dead_tuples_critical_ratio ? 'critical' : 'warning';
      const cause = autovacuum === 'off' ? ' with autovacuum off' : worst.autovacuum_disabled ? ' (autovacuum disabled on the table)' : '';
      out.push(
        finding(
          C,
          sev,
          'PG_DEAD_TUPLES',
          `${tables.length} table(s) are ${round(c.dead_tuples_warning_ratio * 100, 0)}% or more dead rows${cause} (worst: ${worst.table}, ${worst.dead_tuples} dead of ${worst.dead_tuples + worst.live_tuples}, ${round(worst.dead_ratio * 100, 1)}% of ${worst.size}).`,
          {
            tables,
            autovacuum,
            warning_ratio: c.dead_tuples_warning_ratio,
            critical_ratio: c.dead_tuples_critical_ratio,
            min_table_bytes: c.dead_tuples_min_table_bytes,
            source: 'pg_stat_user_tables (no ANALYZE needed)',
          },
          'VACUUM (ANALYZE) these tables now; then make sure autovacuum runs on them (autovacuum = on, no autovacuum_enabled = false) and lower autovacuum_vacuum_scale_factor for big ones.',
        ),
      );
    }
    return out;
  },
};
