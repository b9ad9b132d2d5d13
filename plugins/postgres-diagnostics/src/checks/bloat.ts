// Checklist 7: table bloat (check_postgres: 1 GB / 5 GB) and btree index bloat (pghero: ≥ 100 MB),
// estimated from pg_class sizes and pg_stats widths as check_postgres does (no pgstattuple scan).
import type { Finding } from 'plugway/sdk';
import { bytes, finding, level, num, type Check, type CheckInput } from '../types.js';

const C = 'bloat';
const align8 = (n: number) => Math.ceil(n / 8) * 8;

export const bloatCheck: Check = {
  name: 'bloat',
  category: C,
  async run(input: CheckInput): Promise<Finding[]> {
    const out: Finding[] = [];
    const c = input.config;
    const bs = num(input.settings.block_size) || 8192;
    const tables = await input.query(
      `SELECT n.nspname AS schema, c.relname AS name, c.relpages::float8 AS pages, c.reltuples::float8 AS tuples,
              coalesce((regexp_match(array_to_string(c.reloptions, ','), 'fillfactor=(\\d+)'))[1]::int, 100) AS fillfactor,
              (SELECT sum((1 - coalesce(s.null_frac, 0)) * coalesce(s.avg_width, 0)) FROM pg_stats s
                WHERE s.schemaname = n.nspname AND s.tablename = c.relname)::float8 AS row_width
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND c.relpages > 10 AND c.reltuples >= 0`,
    );
    const tableBloat = [];
    for (const t of tables) {
      const width = num(t.row_width);
      if (!Number.isFinite(width)) continue; // never analyzed: no widths to estimate with
      // 24-byte page header, 23-byte tuple header aligned, 4-byte line pointer per tuple.
      const perPage = Math.max(1, Math.floor((bs * (num(t.fillfactor) / 100) - 24) / (align8(24 + width) + 4)));
      const expected = Math.ceil(num(t.tuples) / perPage);
      const wasted = Math.max(0, num(t.pages) - expected) * bs;
      tableBloat.push({ table: `${String(t.schema)}.${String(t.name)}`, size_bytes: num(t.pages) * bs, bloat_bytes: wasted, bloat: bytes(wasted) });
    }
    tableBloat.sort((a, b) => b.bloat_bytes - a.bloat_bytes);
    input.metrics.max_table_bloat_bytes = tableBloat[0]?.bloat_bytes ?? 0;
    const worstTable = tableBloat[0];
    const tSev = worstTable ? level(worstTable.bloat_bytes, c.table_bloat_warning_bytes, c.table_bloat_critical_bytes) : null;
    if (tSev) {
      const over = tableBloat.filter((t) => t.bloat_bytes >= c.table_bloat_warning_bytes);
      out.push(
        finding(
          C,
          tSev,
          'PG_TABLE_BLOAT',
          `${over.length} table(s) waste an estimated ${bytes(c.table_bloat_warning_bytes)} or more (worst: ${worstTable!.table}, ${worstTable!.bloat}).`,
          { tables: over.slice(0, 10), warning_bytes: c.table_bloat_warning_bytes, critical_bytes: c.table_bloat_critical_bytes, method: 'estimate from pg_class and pg_stats' },
          'VACUUM reclaims space for reuse; to give it back use pg_repack or VACUUM FULL (locks the table); tune autovacuum for these tables.',
        ),
      );
    }
    const indexes = await input.query(
      `SELECT n.nspname AS schema, i.relname AS name, t.relname AS table_name, i.relpages::float8 AS pages, i.reltuples::float8 AS tuples,
              (SELECT sum(coalesce(s.avg_width, 8)) FROM pg_attribute a
                 JOIN pg_stats s ON s.schemaname = n.nspname AND s.tablename = t.relname AND s.attname = a.attname
                WHERE a.attrelid = t.oid AND a.attnum = ANY (x.indkey::int2[]))::float8 AS key_width,
              x.indnatts AS ncols,
              (SELECT count(*) FROM pg_attribute a JOIN pg_stats s ON s.schemaname = n.nspname AND s.tablename = t.relname AND s.attname = a.attname
                WHERE a.attrelid = t.oid AND a.attnum = ANY (x.indkey::int2[]))::int AS cols_with_stats
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
         JOIN pg_namespace n ON n.oid = i.relnamespace JOIN pg_am am ON am.oid = i.relam
        WHERE am.amname = 'btree' AND i.relpages > 10 AND NOT (0 = ANY (x.indkey::int2[]))
          AND n.nspname NOT IN ('pg_catalog', 'information_schema')`,
    );
    const indexBloat = [];
    for (const ix of indexes) {
      if (num(ix.cols_with_stats) !== num(ix.ncols)) continue; // no widths for some column
      // btree leaf: 8-byte tuple header + key, aligned, + 4-byte line pointer; pages filled to 90%, 40 bytes of header+special.
      const perPage = Math.max(1, Math.floor((bs * 0.9 - 40) / (align8(8 + num(ix.key_width)) + 4)));
      const expected = Math.ceil(num(ix.tuples) / perPage) + 1;
      const wasted = Math.max(0, num(ix.pages) - expected) * bs;
      indexBloat.push({ index: `${String(ix.schema)}.${String(ix.name)}`, table: ix.table_name, size_bytes: num(ix.pages) * bs, bloat_bytes: wasted, bloat: bytes(wasted) });
    }
    indexBloat.sort((a, b) => b.bloat_bytes - a.bloat_bytes);
    input.metrics.max_index_bloat_bytes = indexBloat[0]?.bloat_bytes ?? 0;
    const overIdx = indexBloat.filter((i) => i.bloat_bytes >= c.index_bloat_warning_bytes);
    if (overIdx.length > 0) {
      out.push(
        finding(
          C,
          'warning',
          'PG_INDEX_BLOAT',
          `${overIdx.length} index(es) waste an estimated ${bytes(c.index_bloat_warning_bytes)} or more (worst: ${overIdx[0]!.index}, ${overIdx[0]!.bloat}).`,
          { indexes: overIdx.slice(0, 10), warning_bytes: c.index_bloat_warning_bytes, method: 'estimate from pg_class and pg_stats' },
          'REINDEX INDEX CONCURRENTLY rebuilds an index without blocking writes.',
        ),
      );
    }
    return out;
  },
};
