// Checklist 6: slow queries as a share of questions (over the window when it saw enough
// traffic), the slow log's state, and statements running right now for longer than the limit.
import type { Finding } from 'plugway/sdk';
import { finding, judgeRatio, num, pct, basisText, ratioEvidence, ratioSeverity, round, variable, windowDelta, elapsedMs, type Check, type CheckInput } from '../types.js';

const C = 'queries';

export const slowQueriesCheck: Check = {
  name: 'slow queries',
  category: C,
  async run(input: CheckInput): Promise<Finding[]> {
    const out: Finding[] = [];
    const seconds = elapsedMs(input) / 1000;
    input.metrics.questions_per_second = round(windowDelta(input, 'Questions') / seconds, 2);
    input.metrics.slow_queries_per_second = round(windowDelta(input, 'Slow_queries') / seconds, 2);
    const slowLog = (variable(input, 'slow_query_log') ?? '').toUpperCase();
    const longQueryTime = num(variable(input, 'long_query_time'));
    if (slowLog !== 'ON' && slowLog !== '1') {
      out.push(
        finding(
          C,
          'info',
          'MYSQL_SLOW_LOG_OFF',
          'The slow query log is off; slow statements are counted but not recorded.',
          { slow_query_log: slowLog, long_query_time: longQueryTime },
          'SET GLOBAL slow_query_log = ON (and a long_query_time such as 1) to see which statements are slow.',
        ),
      );
    }
    // A few slow statements in a quiet window are a real signal: judge the window on a low floor.
    const slowInWindow = windowDelta(input, 'Slow_queries');
    const j = slowInWindow > 0 ? judgeRatio(input, 'Slow_queries', 'Questions', 1) : judgeRatio(input, 'Slow_queries', 'Questions');
    if (j) {
      input.metrics.slow_queries_ratio = round(j.ratio);
      if (j.ratio > input.config.slow_queries_warning_ratio && j.numerator > 0) {
        out.push(
          finding(
            C,
            ratioSeverity(j, 'warning'),
            'MYSQL_SLOW_QUERIES',
            // Slow_queries counts each statement against its own session's long_query_time, which a
            // client may have lowered: the global value is not the threshold these were logged under.
            `${pct(j.ratio)} of statements were slow (${basisText(j)}): over the long_query_time of their session (the global default is ${longQueryTime} s; sessions may set their own).`,
            ratioEvidence(j, {
              long_query_time_global: longQueryTime,
              threshold_note: "Slow_queries counts statements over their own session's long_query_time",
              warning_ratio: input.config.slow_queries_warning_ratio,
            }),
            'Read the slow log (pt-query-digest) or the digest findings, and add indexes or rewrite the top statements.',
          ),
        );
      }
    }
    const limit = input.config.long_query_warning_seconds;
    const running = await input.query(
      'SELECT ID AS id, USER AS user, DB AS db, TIME AS time, LEFT(INFO, 200) AS info FROM information_schema.PROCESSLIST ' +
        "WHERE COMMAND = 'Query' AND TIME >= ? AND ID <> CONNECTION_ID() ORDER BY TIME DESC LIMIT 10",
      [limit],
    );
    if (running.length > 0) {
      out.push(
        finding(
          C,
          'warning',
          'MYSQL_LONG_RUNNING_QUERY',
          `${running.length} statement(s) have been running for ${limit} s or more (longest ${num(running[0]!.time)} s).`,
          { queries: running, warning_seconds: limit },
          'EXPLAIN them (action explain); if one is stuck, the kill-query action can stop it when destructive actions are enabled.',
        ),
      );
    }
    return out;
  },
};
