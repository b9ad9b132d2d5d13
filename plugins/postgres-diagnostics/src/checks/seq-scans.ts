// Sequential scans of large tables from pg_stat_user_tables (needs no pg_stat_statements):
// seq_scan and seq_tup_read against idx_scan over the window; the lifetime counters only as info.
import type { Finding } from 'plugway/sdk';
import { finding, num, round, windowSeconds, type Check, type CheckInput, type Row } from '../types.js';

const C = 'queries';

const name = (t: Row) => `${String(t.schemaname)}.${String(t.relname)}`;

export const seqScansCheck: Check = {
  name: 'sequential scans',
  category: C,
  async run(input: CheckInput): Promise<Finding[]> {
    const c = input.config;
    const first = input.samples[0]!.tables;
    const last = input.samples[input.samples.length - 1]!.tables;
    if (!first || !last) return [];
    const seconds = windowSeconds(input) || 1;
    const hot = [];
    const past = [];
    for (const [relid, b] of last) {
      const live = num(b.n_live_tup);
      if (!(live >= c.seq_scan_min_table_rows)) continue;
      const a = first.get(relid);
      const seqScans = a ? Math.max(0, num(b.seq_scan) - num(a.seq_scan)) : 0;
      const rowsRead = a ? Math.max(0, num(b.seq_tup_read) - num(a.seq_tup_read)) : 0;
      const idxScans = a ? Math.max(0, num(b.idx_scan) - num(a.idx_scan)) : 0;
      if (seqScans >= c.seq_scan_min_scans && seqScans > idxScans) {
        hot.push({
          table: name(b),
          live_tuples: live,
          seq_scans_in_window: seqScans,
          seq_rows_read_in_window: rowsRead,
          idx_scans_in_window: idxScans,
          seq_scans_per_second: round(seqScans / seconds, 2),
          seq_rows_read_per_second: round(rowsRead / seconds, 0),
        });
      } else if (num(b.seq_scan) >= c.seq_scan_min_scans && num(b.seq_scan) > num(b.idx_scan) && num(b.seq_tup_read) >= live * c.seq_scan_min_scans) {
        past.push({ table: name(b), live_tuples: live, seq_scans_since_start: num(b.seq_scan), seq_rows_read_since_start: num(b.seq_tup_read), idx_scans_since_start: num(b.idx_scan) });
      }
    }
    hot.sort((x, y) => y.seq_rows_read_in_window - x.seq_rows_read_in_window);
    input.metrics.large_tables_seq_scanned_in_window = hot.length;
    const out: Finding[] = [];
    if (hot.length > 0) {
      out.push(
        finding(
          C,
          'warning',
          'PG_SEQ_SCANS',
          `${hot.length} large table(s) were read by sequential scans during the window, more often than by index (worst: ${hot[0]!.table}, ${hot[0]!.seq_scans_in_window} scans, ${hot[0]!.seq_rows_read_in_window} rows).`,
          { tables: hot.slice(0, 10), window_seconds: round(seconds, 2), min_table_rows: c.seq_scan_min_table_rows, min_scans: c.seq_scan_min_scans, source: 'pg_stat_user_tables' },
          'Find the statements (pg_stat_statements, or log_min_duration_statement) filtering these tables and index their WHERE/JOIN columns; EXPLAIN shows "Seq Scan".',
        ),
      );
    }
    if (past.length > 0) {
      past.sort((x, y) => y.seq_rows_read_since_start - x.seq_rows_read_since_start);
      out.push(
        finding(
          C,
          'info',
          'PG_SEQ_SCANS_PAST',
          `${past.length} large table(s) were read mostly by sequential scans since the statistics were reset, none during the window.`,
          { tables: past.slice(0, 10), min_table_rows: c.seq_scan_min_table_rows },
          'If these scans are regular (reports, batch jobs), index the columns they filter on; run the diagnosis while they run to see them live.',
        ),
      );
    }
    return out;
  },
};
