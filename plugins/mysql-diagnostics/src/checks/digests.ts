// Checklist 7: statement digests from performance_schema, pt-query-digest style: rank by total
// time (top 95% or N), outliers with p95 ≥ 1 s over ≥ 10 runs, no-index use, rows examined/sent.
import type { Finding } from 'plugway/sdk';
import { finding, num, round, variable, type Check, type CheckInput, type Row } from '../types.js';

const C = 'queries';
const PICO = 1e12;

interface Digest {
  schema: string | null;
  digest: string;
  text: string;
  count: number;
  totalS: number;
  avgS: number;
  p95S: number | null;
  maxS: number;
  rowsExamined: number;
  rowsSent: number;
  noIndex: number;
}

function toDigest(r: Row, hasQuantile: boolean): Digest {
  return {
    schema: (r.SCHEMA_NAME as string | null) ?? null,
    digest: String(r.DIGEST ?? ''),
    text: String(r.DIGEST_TEXT ?? '').slice(0, 300),
    count: num(r.COUNT_STAR),
    totalS: num(r.SUM_TIMER_WAIT) / PICO,
    avgS: num(r.AVG_TIMER_WAIT) / PICO,
    p95S: hasQuantile ? num(r.QUANTILE_95) / PICO : null,
    maxS: num(r.MAX_TIMER_WAIT) / PICO,
    rowsExamined: num(r.SUM_ROWS_EXAMINED),
    rowsSent: num(r.SUM_ROWS_SENT),
    noIndex: num(r.SUM_NO_INDEX_USED) + num(r.SUM_NO_GOOD_INDEX_USED),
  };
}

const brief = (d: Digest) => ({
  schema: d.schema,
  digest: d.digest,
  query: d.text,
  executions: d.count,
  total_s: round(d.totalS, 3),
  avg_s: round(d.avgS, 4),
  p95_s: d.p95S === null ? undefined : round(d.p95S, 4),
  max_s: round(d.maxS, 4),
  rows_examined: d.rowsExamined,
  rows_sent: d.rowsSent,
});

export const digestsCheck: Check = {
  name: 'statement digests',
  category: C,
  async run(input: CheckInput): Promise<Finding[]> {
    const ps = (variable(input, 'performance_schema') ?? '').toUpperCase();
    if (ps !== 'ON' && ps !== '1') {
      return [
        finding(
          C,
          'info',
          'MYSQL_PERFORMANCE_SCHEMA_OFF',
          'performance_schema is off: statement digests (top queries, p95, no-index use) cannot be read.',
          { performance_schema: ps },
          'Start the server with performance_schema=ON (it cannot be changed at runtime) to get per-statement statistics.',
        ),
      ];
    }
    const consumer = await input.query("SELECT ENABLED FROM performance_schema.setup_consumers WHERE NAME = 'statements_digest'");
    if (consumer.length === 0 || String(consumer[0]!.ENABLED) !== 'YES') {
      return [
        finding(
          C,
          'info',
          'MYSQL_DIGESTS_DISABLED',
          'The statements_digest consumer of performance_schema is disabled: no digests are collected.',
          {},
          "UPDATE performance_schema.setup_consumers SET ENABLED = 'YES' WHERE NAME = 'statements_digest'.",
        ),
      ];
    }
    const cols = await input.query(
      "SELECT COLUMN_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = 'performance_schema' AND TABLE_NAME = 'events_statements_summary_by_digest' AND COLUMN_NAME = 'QUANTILE_95'",
    );
    const hasQuantile = cols.length > 0;
    // Statements about the server itself (SHOW, information_schema, performance_schema) are noise here.
    const rows = await input.query(
      `SELECT SCHEMA_NAME, DIGEST, DIGEST_TEXT, COUNT_STAR, SUM_TIMER_WAIT, AVG_TIMER_WAIT, MAX_TIMER_WAIT, SUM_ROWS_EXAMINED, SUM_ROWS_SENT,
              SUM_NO_INDEX_USED, SUM_NO_GOOD_INDEX_USED${hasQuantile ? ', QUANTILE_95' : ''}
         FROM performance_schema.events_statements_summary_by_digest
        WHERE DIGEST_TEXT IS NOT NULL AND DIGEST_TEXT NOT LIKE 'SHOW %'
          AND DIGEST_TEXT NOT LIKE '%information_schema%' AND DIGEST_TEXT NOT LIKE '%performance_schema%'
        ORDER BY SUM_TIMER_WAIT DESC LIMIT 200`,
    );
    const digests = rows.map((r) => toDigest(r, hasQuantile));
    const out: Finding[] = [];
    const total = digests.reduce((s, d) => s + d.totalS, 0);
    input.metrics.digest_count = digests.length;
    if (digests.length > 0 && total > 0) {
      // pt-query-digest reports the statements that make up 95% of the time, at most N of them.
      const top: Digest[] = [];
      let acc = 0;
      for (const d of digests) {
        if (top.length >= input.config.digest_top || acc >= 0.95 * total) break;
        top.push(d);
        acc += d.totalS;
      }
      out.push(
        finding(
          C,
          'info',
          'MYSQL_TOP_QUERIES',
          `The top ${top.length} statement digest(s) take ${round((acc / total) * 100, 1)}% of statement time.`,
          { total_s: round(total, 3), top: top.map(brief) },
          'Start tuning with the first entries: they are where the time goes.',
        ),
      );
    }
    const minExec = input.config.digest_min_executions;
    const limit = input.config.digest_p95_warning_seconds;
    const slow = digests.filter((d) => d.count >= minExec && (d.p95S ?? d.avgS) >= limit);
    // Digest sums run since the server started (or the table was truncated): a digest warns only
    // when it also ran during the window; otherwise it is history (info).
    const ranInWindow = (d: Digest) => !input.digestsBefore || d.count > num(input.digestsBefore.get(`${String(d.schema)}|${d.digest}`)?.COUNT_STAR ?? 0);
    if (slow.length > 0) {
      out.push(
        finding(
          C,
          slow.some(ranInWindow) ? 'warning' : 'info',
          'MYSQL_SLOW_DIGEST',
          `${slow.length} statement digest(s) take ${limit} s or more at the ${hasQuantile ? '95th percentile' : 'mean (this server keeps no percentiles)'} over ${minExec}+ executions${slow.some(ranInWindow) ? '' : ', none of them during the window (since start)'}.`,
          {
            percentile: hasQuantile ? 'p95' : 'avg',
            warning_seconds: limit,
            min_executions: minExec,
            ran_in_window: slow.filter(ranInWindow).length,
            digests: slow.slice(0, 10).map((d) => ({ ...brief(d), ran_in_window: ranInWindow(d) })),
          },
          'EXPLAIN these statements (action explain) and add the indexes they miss, or cache their results.',
        ),
      );
    }
    // Lifetime sums say a statement once ran without an index; the window says it does now.
    if (input.digestsBefore) {
      const hot = [];
      for (const r of rows) {
        const b = input.digestsBefore.get(`${String(r.SCHEMA_NAME)}|${String(r.DIGEST)}`);
        const runs = num(r.COUNT_STAR) - (b ? num(b.COUNT_STAR) : 0);
        const noIndexRuns = num(r.SUM_NO_INDEX_USED) + num(r.SUM_NO_GOOD_INDEX_USED) - (b ? num(b.SUM_NO_INDEX_USED) + num(b.SUM_NO_GOOD_INDEX_USED) : 0);
        const examined = num(r.SUM_ROWS_EXAMINED) - (b ? num(b.SUM_ROWS_EXAMINED) : 0);
        if (runs >= input.config.digest_hot_min_executions && noIndexRuns > 0 && examined / runs >= input.config.full_scan_min_rows_examined) {
          hot.push({ ...brief(toDigest(r, hasQuantile)), executions_in_window: runs, no_index_in_window: noIndexRuns, rows_examined_per_execution: Math.round(examined / runs) });
        }
      }
      hot.sort((a, b) => b.executions_in_window * b.rows_examined_per_execution - a.executions_in_window * a.rows_examined_per_execution);
      if (hot.length > 0) {
        out.push(
          finding(
            C,
            'warning',
            'MYSQL_HOT_FULL_SCAN_DIGEST',
            `${hot.length} statement digest(s) ran ${input.config.digest_hot_min_executions}+ times during the window without an index, examining ${hot[0]!.rows_examined_per_execution} rows a run (worst).`,
            { digests: hot.slice(0, 10), min_executions: input.config.digest_hot_min_executions, min_rows_examined: input.config.full_scan_min_rows_examined },
            'EXPLAIN these statements (action explain): index the columns they filter on, so each run stops reading the whole table.',
          ),
        );
      }
    }
    const noIndex = digests.filter((d) => d.count >= minExec && d.noIndex > 0);
    if (noIndex.length > 0) {
      out.push(
        finding(
          C,
          'info',
          'MYSQL_NO_INDEX_QUERIES',
          `${noIndex.length} frequent statement digest(s) run without a (good) index.`,
          { digests: noIndex.slice(0, 10).map(brief) },
          'Check their WHERE and JOIN columns against the table indexes.',
        ),
      );
    }
    const ratio = input.config.digest_rows_examined_per_sent;
    const wasteful = digests.filter((d) => d.count >= minExec && d.rowsSent > 0 && d.rowsExamined / d.rowsSent > ratio);
    if (wasteful.length > 0) {
      out.push(
        finding(
          C,
          'info',
          'MYSQL_ROWS_EXAMINED_RATIO',
          `${wasteful.length} statement digest(s) examine more than ${ratio} rows per row they return.`,
          { threshold: ratio, digests: wasteful.slice(0, 10).map((d) => ({ ...brief(d), examined_per_sent: round(d.rowsExamined / d.rowsSent, 1) })) },
          'A selective index on the filtered columns lets the server read only the rows it returns.',
        ),
      );
    }
    return out;
  },
};
