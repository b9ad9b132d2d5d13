// Checklist 10: pg_stat_statements when present: statements ranked by total time, slow ones
// (pghero: mean ≥ 20 ms over ≥ 100 calls), and statements spilling to temp files.
import type { Finding } from 'plugway/sdk';
import { finding, num, round, type Check, type CheckInput, type Row } from '../types.js';

const C = 'queries';

function brief(r: Row) {
  return {
    database: r.database,
    calls: num(r.calls),
    total_ms: round(num(r.total_ms), 1),
    mean_ms: round(num(r.mean_ms), 2),
    rows: num(r.rows),
    temp_blks_written: num(r.temp_blks_written),
    shared_blks_read: num(r.shared_blks_read),
    query: r.query,
  };
}

export const statementsCheck: Check = {
  name: 'pg_stat_statements',
  category: C,
  async run(input: CheckInput): Promise<Finding[]> {
    const c = input.config;
    const ext = await input.query("SELECT n.nspname AS schema, e.extversion FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_stat_statements'");
    if (ext.length === 0) {
      // Already preloaded: only the extension's views are missing, no restart is needed.
      const preloaded = (input.settings.shared_preload_libraries ?? '')
        .split(',')
        .map((l) => l.trim().replace(/^"|"$/g, ''))
        .includes('pg_stat_statements');
      return [
        finding(
          C,
          'info',
          'PG_STAT_STATEMENTS_MISSING',
          `pg_stat_statements is not installed in ${input.server.database}: statement statistics (slow and top queries) cannot be read.`,
          { shared_preload_libraries: input.settings.shared_preload_libraries, preloaded },
          preloaded
            ? `pg_stat_statements is already in shared_preload_libraries: run CREATE EXTENSION pg_stat_statements in ${input.server.database} (no restart needed).`
            : 'Add pg_stat_statements to shared_preload_libraries (restart), then CREATE EXTENSION pg_stat_statements.',
        ),
      ];
    }
    const schema = String(ext[0]!.schema).replace(/"/g, '""');
    // PostgreSQL 13 renamed total_time/mean_time to total_exec_time/mean_exec_time.
    const [total, mean] = input.server.versionNum >= 130000 ? ['total_exec_time', 'mean_exec_time'] : ['total_time', 'mean_time'];
    let rows: Row[];
    try {
      rows = await input.query(
        `SELECT s.userid::text || '|' || s.dbid::text || '|' || s.queryid::text AS key, d.datname AS database, s.calls::float8 AS calls, s.${total}::float8 AS total_ms, s.${mean}::float8 AS mean_ms, s.rows::float8 AS rows,
                s.temp_blks_written::float8 AS temp_blks_written, s.shared_blks_read::float8 AS shared_blks_read, left(s.query, 300) AS query
           FROM "${schema}".pg_stat_statements s LEFT JOIN pg_database d ON d.oid = s.dbid
          ORDER BY s.${total} DESC LIMIT 500`,
      );
    } catch (err) {
      return [
        finding(
          C,
          'info',
          'PG_STAT_STATEMENTS_UNAVAILABLE',
          `pg_stat_statements is installed but cannot be read: ${(err as Error).message}`,
          { shared_preload_libraries: input.settings.shared_preload_libraries, extversion: ext[0]!.extversion },
          'Add pg_stat_statements to shared_preload_libraries and restart; grant pg_read_all_stats to the diagnostics user.',
        ),
      ];
    }
    const out: Finding[] = [];
    input.metrics.statements_tracked = rows.length;
    const sum = rows.reduce((s, r) => s + num(r.total_ms), 0);
    if (rows.length > 0 && sum > 0) {
      const top = rows.slice(0, c.statements_top);
      out.push(
        finding(
          C,
          'info',
          'PG_TOP_STATEMENTS',
          `The top ${top.length} statement(s) take ${round((top.reduce((s, r) => s + num(r.total_ms), 0) / sum) * 100, 1)}% of statement time.`,
          { total_ms: round(sum, 1), top: top.map(brief) },
          'Start tuning with the first entries: they are where the time goes.',
        ),
      );
    }
    // The sums run since pg_stat_statements was reset: a statement warns only when it also ran
    // during the window; one that has not run since is history (info).
    const ranInWindow = (r: Row) => !input.statementsBefore || num(r.calls) > (input.statementsBefore.get(String(r.key)) ?? 0);
    const slow = rows.filter((r) => num(r.calls) >= c.slow_statement_min_calls && num(r.mean_ms) >= c.slow_statement_mean_ms);
    if (slow.length > 0) {
      const active = slow.filter(ranInWindow);
      out.push(
        finding(
          C,
          active.length > 0 ? 'warning' : 'info',
          'PG_SLOW_STATEMENTS',
          `${slow.length} statement(s) average ${c.slow_statement_mean_ms} ms or more over ${c.slow_statement_min_calls}+ calls${active.length > 0 ? `; ${active.length} ran during the window` : ', none during the window (since the statistics were reset)'}.`,
          {
            statements: [...active, ...slow.filter((r) => !active.includes(r))].slice(0, 10).map((r) => ({ ...brief(r), ran_in_window: ranInWindow(r) })),
            ran_in_window: active.length,
            mean_ms_threshold: c.slow_statement_mean_ms,
            min_calls: c.slow_statement_min_calls,
          },
          'EXPLAIN (ANALYZE, BUFFERS) them, add the missing indexes, or cache their results.',
        ),
      );
    }
    const temp = rows.filter((r) => num(r.temp_blks_written) > 0).sort((a, b) => num(b.temp_blks_written) - num(a.temp_blks_written));
    if (temp.length > 0) {
      const worst = num(temp[0]!.temp_blks_written);
      const activeWorst = temp.filter(ranInWindow).reduce((m, r) => Math.max(m, num(r.temp_blks_written)), 0);
      out.push(
        finding(
          C,
          activeWorst >= c.temp_blocks_warning ? 'warning' : 'info',
          'PG_TEMP_SPILL',
          `${temp.length} statement(s) wrote temporary files (most: ${worst} blocks).`,
          { statements: temp.slice(0, 10).map(brief), warning_blocks: c.temp_blocks_warning, work_mem: input.settings.work_mem },
          'Sorts and hashes larger than work_mem spill to disk: raise work_mem for these queries or make them sort less.',
        ),
      );
    }
    return out;
  },
};
