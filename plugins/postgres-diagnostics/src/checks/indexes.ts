// Checklist 11 (part): invalid indexes (a failed CREATE INDEX CONCURRENTLY), duplicate indexes,
// and unused ones (pghero: < 50 scans and > 10 MB, not backing a constraint).
import type { Finding } from 'plugway/sdk';
import { bytes, finding, num, round, type Check, type CheckInput } from '../types.js';

const C = 'indexes';

export const indexesCheck: Check = {
  name: 'indexes',
  category: C,
  async run(input: CheckInput): Promise<Finding[]> {
    const out: Finding[] = [];
    const c = input.config;
    const invalid = await input.query(
      `SELECT n.nspname AS schema, i.relname AS index, t.relname AS table_name FROM pg_index x
         JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid JOIN pg_namespace n ON n.oid = i.relnamespace
        WHERE NOT x.indisvalid`,
    );
    if (invalid.length > 0) {
      out.push(
        finding(
          C,
          'warning',
          'PG_INVALID_INDEX',
          `${invalid.length} invalid index(es): they cost writes but serve no reads.`,
          { indexes: invalid.map((r) => ({ index: `${String(r.schema)}.${String(r.index)}`, table: r.table_name })) },
          'Usually a failed CREATE INDEX CONCURRENTLY: DROP INDEX CONCURRENTLY it and create it again (or REINDEX INDEX CONCURRENTLY).',
        ),
      );
    }
    const dup = await input.query(
      `SELECT n.nspname AS schema, t.relname AS table_name, array_agg(i.relname ORDER BY i.relname) AS indexes,
              sum(pg_relation_size(i.oid))::float8 AS total_bytes
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid JOIN pg_namespace n ON n.oid = i.relnamespace
        WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
        GROUP BY n.nspname, t.relname, x.indrelid, x.indkey::text, x.indclass::text, x.indcollation::text,
                 coalesce(pg_get_expr(x.indexprs, x.indrelid), ''), coalesce(pg_get_expr(x.indpred, x.indrelid), '')
       HAVING count(*) > 1`,
    );
    if (dup.length > 0) {
      out.push(
        finding(
          C,
          'warning',
          'PG_DUPLICATE_INDEX',
          `${dup.length} set(s) of identical indexes.`,
          { duplicates: dup.map((d) => ({ table: `${String(d.schema)}.${String(d.table_name)}`, indexes: d.indexes, total: bytes(num(d.total_bytes)) })) },
          'Keep one index of each set (the one backing a constraint, if any) and DROP INDEX CONCURRENTLY the others.',
        ),
      );
    }
    const unused = await input.query(
      `SELECT s.schemaname, s.relname AS table_name, s.indexrelname AS index, s.idx_scan::float8 AS scans, pg_relation_size(s.indexrelid)::float8 AS size_bytes
         FROM pg_stat_user_indexes s JOIN pg_index x ON x.indexrelid = s.indexrelid
        WHERE NOT x.indisunique AND NOT x.indisprimary AND s.idx_scan < $1 AND pg_relation_size(s.indexrelid) > $2
        ORDER BY pg_relation_size(s.indexrelid) DESC LIMIT 20`,
      [c.unused_index_max_scans, c.unused_index_min_bytes],
    );
    if (unused.length > 0) {
      const [stats] = await input.query('SELECT extract(epoch FROM now() - coalesce(stats_reset, pg_postmaster_start_time()))::float8 AS age FROM pg_stat_database WHERE datname = current_database()');
      out.push(
        finding(
          C,
          'info',
          'PG_UNUSED_INDEX',
          `${unused.length} index(es) larger than ${bytes(c.unused_index_min_bytes)} were scanned fewer than ${c.unused_index_max_scans} times.`,
          {
            indexes: unused.map((u) => ({ index: `${String(u.schemaname)}.${String(u.index)}`, table: u.table_name, scans: num(u.scans), size: bytes(num(u.size_bytes)) })),
            stats_age_seconds: round(num(stats?.age), 0),
          },
          'If the statistics cover a representative period (and replicas do not use them), DROP INDEX CONCURRENTLY to save writes and space.',
        ),
      );
    }
    return out;
  },
};
