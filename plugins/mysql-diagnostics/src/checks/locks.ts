// Checklist 11: row lock waits happening now (INNODB_TRX in LOCK WAIT), row lock waits and
// deadlocks counted during the window.
import type { Finding } from 'plugway/sdk';
import { finding, latest, num, round, windowDelta, type Check, type CheckInput } from '../types.js';

const C = 'locks';

export const locksCheck: Check = {
  name: 'locks',
  category: C,
  async run(input: CheckInput): Promise<Finding[]> {
    const out: Finding[] = [];
    const waiting = await input.query(
      `SELECT trx_id, trx_mysql_thread_id AS thread_id, TIMESTAMPDIFF(MICROSECOND, trx_wait_started, NOW(6)) / 1e6 AS wait_seconds,
              LEFT(trx_query, 200) AS query
         FROM information_schema.INNODB_TRX WHERE trx_state = 'LOCK WAIT' ORDER BY trx_wait_started LIMIT 20`,
    );
    input.metrics.lock_waits_now = waiting.length;
    const limit = input.config.lock_wait_warning_seconds;
    const long = waiting.filter((w) => num(w.wait_seconds) >= limit);
    if (long.length > 0) {
      // Who blocks them: the transactions holding locks longest (works on MySQL 8 and MariaDB alike).
      const holders = await input.query(
        `SELECT trx_mysql_thread_id AS thread_id, TIMESTAMPDIFF(SECOND, trx_started, NOW()) AS age_seconds, trx_rows_locked AS rows_locked, LEFT(trx_query, 200) AS query
           FROM information_schema.INNODB_TRX WHERE trx_state <> 'LOCK WAIT' AND trx_rows_locked > 0 ORDER BY trx_started LIMIT 5`,
      );
      out.push(
        finding(
          C,
          'warning',
          'MYSQL_LOCK_WAITS',
          `${long.length} transaction(s) are waiting for row locks, the longest for ${round(num(long[0]!.wait_seconds), 1)} s.`,
          { waiting: long.map((w) => ({ ...w, wait_seconds: round(num(w.wait_seconds), 2) })), likely_blockers: holders, warning_seconds: limit },
          'Find and finish the blocking transaction (likely_blockers); keep transactions short and touch rows in the same order.',
        ),
      );
    }
    const waitsInWindow = windowDelta(input, 'Innodb_row_lock_waits');
    const seconds = (input.samples[input.samples.length - 1]!.at - input.samples[0]!.at) / 1000;
    input.metrics.row_lock_waits_per_second = round(waitsInWindow / seconds, 2);
    const avgWaitMs = latest(input, 'Innodb_row_lock_time_avg');
    if (waitsInWindow > 0 && long.length === 0) {
      out.push(
        finding(
          C,
          'info',
          'MYSQL_ROW_LOCK_WAITS',
          `${waitsInWindow} row lock wait(s) began during the window.`,
          { row_lock_waits_in_window: waitsInWindow, row_lock_time_avg_ms: avgWaitMs, current_row_lock_waits: latest(input, 'Innodb_row_lock_current_waits') },
          'Some transactions contend for the same rows; watch whether this grows.',
        ),
      );
    }
    // MariaDB counts deadlocks as a status variable; MySQL keeps them in INNODB_METRICS, which
    // every sample then reads (session.ts), so the window's delta comes from either.
    let deadlocks = windowDelta(input, 'Innodb_deadlocks');
    let total = latest(input, 'Innodb_deadlocks');
    let source = 'Innodb_deadlocks';
    if (!Number.isFinite(total)) {
      const first = input.samples[0]!;
      const last = input.samples[input.samples.length - 1]!;
      source = 'INNODB_METRICS lock_deadlocks';
      if (first.lockDeadlocks !== undefined && last.lockDeadlocks !== undefined && Number.isFinite(first.lockDeadlocks) && Number.isFinite(last.lockDeadlocks)) {
        total = last.lockDeadlocks;
        deadlocks = Math.max(0, last.lockDeadlocks - first.lockDeadlocks);
      } else {
        total = NaN;
        deadlocks = 0;
        const reason = last.lockDeadlocksError ?? first.lockDeadlocksError ?? 'no deadlock counter (neither Innodb_deadlocks nor INNODB_METRICS lock_deadlocks)';
        out.push(
          finding(
            C,
            'info',
            'MYSQL_CHECK_UNAVAILABLE',
            `Deadlocks could not be counted: ${reason}`,
            { check: 'deadlocks', error: reason },
            'Grant PROCESS (INNODB_METRICS needs it) to the diagnostics user.',
          ),
        );
      }
    }
    if (Number.isFinite(total)) input.metrics.deadlocks_total = total;
    if (deadlocks > 0) {
      out.push(
        finding(
          C,
          'warning',
          'MYSQL_DEADLOCKS',
          `${deadlocks} deadlock(s) during the window.`,
          { deadlocks_in_window: deadlocks, deadlocks_total: total, source },
          'SHOW ENGINE INNODB STATUS (action innodb-status) shows the latest deadlock; make transactions lock rows in one order.',
        ),
      );
    } else if (total > 0) {
      out.push(
        finding(
          C,
          'info',
          'MYSQL_DEADLOCKS_PAST',
          `${total} deadlock(s) since the server started, none during the window.`,
          { deadlocks_total: total, source },
          'SHOW ENGINE INNODB STATUS shows the latest one.',
        ),
      );
    }
    return out;
  },
};
