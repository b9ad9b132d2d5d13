// Checklist 12: the oldest open transaction (60 s warning, 3600 s critical) and the InnoDB
// history list (undo not yet purged) above 100,000.
import type { Finding } from 'plugway/sdk';
import { finding, latest, num, type Check, type CheckInput } from '../types.js';

const C = 'transactions';

export const transactionsCheck: Check = {
  name: 'transactions',
  category: C,
  async run(input: CheckInput): Promise<Finding[]> {
    const out: Finding[] = [];
    const rows = await input.query(
      `SELECT t.trx_id, t.trx_mysql_thread_id AS thread_id, TIMESTAMPDIFF(SECOND, t.trx_started, NOW()) AS age_seconds, t.trx_state AS state,
              t.trx_rows_modified AS rows_modified, LEFT(t.trx_query, 200) AS query, p.USER AS user, p.HOST AS host, p.COMMAND AS command
         FROM information_schema.INNODB_TRX t LEFT JOIN information_schema.PROCESSLIST p ON p.ID = t.trx_mysql_thread_id
        ORDER BY t.trx_started, t.trx_state = 'LOCK WAIT', t.trx_id LIMIT 10`,
    );
    // BIGINT columns arrive as strings (bigNumberStrings): evidence carries numbers.
    for (const r of rows) {
      r.age_seconds = num(r.age_seconds);
      r.rows_modified = num(r.rows_modified);
      r.thread_id = num(r.thread_id);
    }
    input.metrics.open_transactions = rows.length;
    const oldest = rows.length ? num(rows[0]!.age_seconds) : 0;
    input.metrics.oldest_transaction_seconds = oldest;
    const { transaction_warning_seconds: warn, transaction_critical_seconds: crit } = input.config;
    if (oldest >= warn) {
      const old = rows.filter((r) => num(r.age_seconds) >= warn);
      out.push(
        finding(
          C,
          oldest >= crit ? 'critical' : 'warning',
          'MYSQL_LONG_TRANSACTION',
          `${old.length} transaction(s) open for ${warn} s or more; the oldest for ${oldest} s (thread ${String(rows[0]!.thread_id)}, ${String(rows[0]!.state)}).`,
          { oldest_seconds: oldest, transactions: old, warning_seconds: warn, critical_seconds: crit },
          'A long transaction holds locks and stops purge: commit or roll it back in the application (idle "Sleep" threads with open transactions are the usual cause).',
        ),
      );
    }
    // MariaDB exposes the history list length as status; MySQL in INNODB_METRICS.
    let history = latest(input, 'Innodb_history_list_length');
    if (!Number.isFinite(history)) {
      const m = await input.query("SELECT COUNT AS c FROM information_schema.INNODB_METRICS WHERE NAME = 'trx_rseg_history_len'");
      history = m.length ? num(m[0]!.c) : NaN;
    }
    if (!Number.isFinite(history)) {
      out.push(
        finding(
          C,
          'info',
          'MYSQL_HISTORY_LIST_UNAVAILABLE',
          'The InnoDB history list length could not be read on this server.',
          {},
          "Enable the INNODB_METRICS counter: SET GLOBAL innodb_monitor_enable = 'trx_rseg_history_len'.",
        ),
      );
    } else {
      input.metrics.history_list_length = history;
      if (history > input.config.history_list_warning) {
        out.push(
          finding(
            C,
            'warning',
            'MYSQL_HISTORY_LIST_LONG',
            `The InnoDB history list holds ${history} unpurged undo records.`,
            { history_list_length: history, warning_above: input.config.history_list_warning, oldest_transaction_seconds: oldest },
            'Purge cannot keep up, usually because of a long transaction: end it, or raise innodb_purge_threads.',
          ),
        );
      }
    }
    return out;
  },
};
