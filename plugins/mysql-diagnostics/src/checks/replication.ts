// Checklist 1–3: replica threads and errors, delay-aware lag sampled across the window
// (mysqld_exporter: lag = Seconds_Behind_Master − SQL_Delay), read_only on a replica, relay log space.
import type { Finding } from 'plugway/sdk';
import { finding, num, variable, type Check, type CheckInput, type Row } from '../types.js';

const C = 'replication';

/** MySQL 8.0.22+ says Source/Replica, older MySQL and MariaDB say Master/Slave. */
function field(row: Row, ...names: string[]): unknown {
  for (const n of names) if (n in row) return row[n];
  return undefined;
}

function lagOf(row: Row): number | null {
  const behind = field(row, 'Seconds_Behind_Source', 'Seconds_Behind_Master');
  if (behind === null || behind === undefined || behind === '') return null;
  const delay = num(field(row, 'SQL_Delay')) || 0;
  return Math.max(0, num(behind) - delay);
}

export const replicationCheck: Check = {
  name: 'replication',
  category: C,
  async run(input: CheckInput): Promise<Finding[]> {
    const first = input.samples[0]!;
    const last = input.samples[input.samples.length - 1]!;
    if (last.replica === undefined) {
      return [
        finding(
          C,
          'info',
          'MYSQL_REPLICATION_UNREADABLE',
          `Replica status could not be read: ${last.replicaError ?? 'unknown reason'}`,
          { error: last.replicaError },
          'Grant REPLICATION CLIENT (MySQL) or REPLICA MONITOR / SLAVE MONITOR (MariaDB) to the diagnostics user.',
        ),
      ];
    }
    const row = last.replica;
    if (row === null) {
      return [finding(C, 'info', 'MYSQL_NOT_A_REPLICA', 'This server is not a replica; replica checks were not run.', {}, 'Nothing to do; point the diagnosis at a replica to check replication.')];
    }
    const out: Finding[] = [];
    const io = String(field(row, 'Replica_IO_Running', 'Slave_IO_Running') ?? '');
    const sql = String(field(row, 'Replica_SQL_Running', 'Slave_SQL_Running') ?? '');
    const source = `${field(row, 'Source_Host', 'Master_Host') ?? '?'}:${field(row, 'Source_Port', 'Master_Port') ?? '?'}`;
    if (io !== 'Yes') {
      out.push(
        finding(
          C,
          'critical',
          'MYSQL_REPLICA_IO_NOT_RUNNING',
          `Replica IO thread is ${io || 'not running'} (source ${source}).`,
          { io_running: io, last_io_error: field(row, 'Last_IO_Error'), source },
          'Read Last_IO_Error; check the network and credentials to the source, then START REPLICA IO_THREAD.',
        ),
      );
    }
    if (sql !== 'Yes') {
      out.push(
        finding(
          C,
          'critical',
          'MYSQL_REPLICA_SQL_NOT_RUNNING',
          `Replica SQL thread is ${sql || 'not running'}.`,
          { sql_running: sql, last_sql_error: field(row, 'Last_SQL_Error') },
          'Read Last_SQL_Error, fix the conflicting row or statement, then START REPLICA SQL_THREAD.',
        ),
      );
    }
    const lastError = field(row, 'Last_Error', 'Last_SQL_Error', 'Last_IO_Error');
    if (lastError && io === 'Yes' && sql === 'Yes') {
      out.push(
        finding(
          C,
          'critical',
          'MYSQL_REPLICA_ERROR',
          `Replica reports an error: ${String(lastError)}`,
          { last_errno: field(row, 'Last_Errno'), last_error: lastError },
          'Investigate the error; replication may be skipping or retrying events.',
        ),
      );
    }
    const lags = input.samples.map((s) => (s.replica ? lagOf(s.replica) : null));
    const lag = lagOf(row);
    if (io === 'Yes' && sql === 'Yes') {
      if (lag === null) {
        out.push(
          finding(
            C,
            'critical',
            'MYSQL_REPLICA_LAG_UNKNOWN',
            'Seconds_Behind_Master is NULL although both threads run.',
            { samples: lags },
            'The replica cannot compute its lag; check the IO thread connects and receives events.',
          ),
        );
      } else {
        input.metrics.replica_lag_seconds = lag;
        const firstLag = first.replica ? lagOf(first.replica) : null;
        const trend = firstLag === null ? 'unknown' : lag > firstLag ? 'growing' : lag < firstLag ? 'recovering' : 'steady';
        const { replica_lag_warning_seconds: warn, replica_lag_critical_seconds: crit } = input.config;
        // mysqld_exporter: lag above the warning level that is not recovering (growing, steady, or
        // of unknown trend) is as bad as the critical level; only a shrinking lag stays a warning.
        const severity = lag > crit || (lag > warn && trend !== 'recovering') ? 'critical' : lag > warn ? 'warning' : null;
        if (severity) {
          out.push(
            finding(
              C,
              severity,
              'MYSQL_REPLICA_LAG',
              `Replica is ${lag} s behind its source and ${trend}.`,
              { lag_seconds: lag, trend, samples: lags, sql_delay: num(field(row, 'SQL_Delay')) || 0, warning_seconds: warn, critical_seconds: crit },
              'Look for long transactions on the source, a slow disk on the replica, or enable parallel replication.',
            ),
          );
        }
      }
    }
    if ((variable(input, 'read_only') ?? '').toUpperCase() !== 'ON') {
      out.push(
        finding(
          C,
          'warning',
          'MYSQL_REPLICA_NOT_READ_ONLY',
          'This replica accepts writes (read_only is OFF).',
          { read_only: variable(input, 'read_only') },
          'SET GLOBAL read_only = ON (and super_read_only on MySQL) so that writes cannot diverge from the source.',
        ),
      );
    }
    const relay = num(field(row, 'Relay_Log_Space'));
    if (Number.isFinite(relay)) {
      input.metrics.relay_log_space_bytes = relay;
      if (relay > input.config.relay_log_space_warning_bytes) {
        out.push(
          finding(
            C,
            'warning',
            'MYSQL_RELAY_LOG_SPACE',
            `Relay logs take ${relay} bytes.`,
            { relay_log_space_bytes: relay, warning_bytes: input.config.relay_log_space_warning_bytes },
            'The SQL thread is behind the IO thread; find what slows the apply, and watch the disk.',
          ),
        );
      }
    }
    return out;
  },
};
