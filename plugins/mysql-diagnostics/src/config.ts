// mysql-diagnostics' configuration: every threshold of the MySQL/MariaDB checklist with its
// default (sources: mysqltuner, pt-query-digest, mysqld_exporter), overridable in config.
import { resolveDiagnosticsConfig } from 'plugway/sdk';

export interface MysqlDiagnosticsConfig {
  /** Sampling window for rates and trends (duration string or ms). */
  window: string | number;
  /** Samples taken across the window (at least 2). */
  samples: number;
  /** Ratios over the server's lifetime are reported as info below this uptime (mysqltuner: 24 h). */
  min_uptime_seconds: number;
  /** A ratio is judged on the window's deltas when the window saw at least this many events. */
  min_window_events: number;
  replica_lag_warning_seconds: number;
  replica_lag_critical_seconds: number;
  relay_log_space_warning_bytes: number;
  connections_warning_ratio: number;
  connections_critical_ratio: number;
  max_used_connections_warning_ratio: number;
  aborted_connects_warning_ratio: number;
  slow_queries_warning_ratio: number;
  digest_p95_warning_seconds: number;
  digest_min_executions: number;
  digest_rows_examined_per_sent: number;
  digest_top: number;
  /** Executions during the window that make a digest "hot". */
  digest_hot_min_executions: number;
  /** Rows examined per execution before a statement without an index counts as a full scan. */
  full_scan_min_rows_examined: number;
  /** Full scans (Select_scan) by others during the window before their rate is judged. */
  full_scan_min_scans: number;
  /** Rows read by full scans (Handler_read_rnd_next) per second that warn. */
  full_scan_rows_per_second_warning: number;
  /** mysqltuner: joins without indexes (Select_full_join + Select_range_check) per day. */
  joins_without_index_per_day_warning: number;
  tmp_disk_tables_warning_ratio: number;
  buffer_pool_read_efficiency_warning: number;
  transaction_warning_seconds: number;
  transaction_critical_seconds: number;
  history_list_warning: number;
  lock_wait_warning_seconds: number;
  open_files_warning_ratio: number;
  thread_cache_hit_warning_ratio: number;
  binlog_cache_disk_warning_ratio: number;
  long_query_warning_seconds: number;
  /** Enables destructive actions (kill-query, kill-connection). */
  allow_destructive: boolean;
  connect_timeout_ms: number;
}

export const DEFAULT_CONFIG: MysqlDiagnosticsConfig = {
  window: '5s',
  samples: 3,
  min_uptime_seconds: 86_400,
  min_window_events: 100,
  replica_lag_warning_seconds: 30,
  replica_lag_critical_seconds: 300,
  relay_log_space_warning_bytes: 1_073_741_824,
  connections_warning_ratio: 0.8,
  connections_critical_ratio: 0.95,
  max_used_connections_warning_ratio: 0.85,
  aborted_connects_warning_ratio: 0.03,
  slow_queries_warning_ratio: 0.05,
  digest_p95_warning_seconds: 1,
  digest_min_executions: 10,
  digest_rows_examined_per_sent: 100,
  digest_top: 20,
  digest_hot_min_executions: 5,
  full_scan_min_rows_examined: 1000,
  full_scan_min_scans: 2,
  full_scan_rows_per_second_warning: 100_000,
  joins_without_index_per_day_warning: 250,
  tmp_disk_tables_warning_ratio: 0.25,
  buffer_pool_read_efficiency_warning: 0.9,
  transaction_warning_seconds: 60,
  transaction_critical_seconds: 3600,
  history_list_warning: 100_000,
  lock_wait_warning_seconds: 1,
  open_files_warning_ratio: 0.85,
  thread_cache_hit_warning_ratio: 0.5,
  binlog_cache_disk_warning_ratio: 0.05,
  long_query_warning_seconds: 60,
  allow_destructive: false,
  connect_timeout_ms: 5000,
};

/** Defaults under whatever the host (or a caller) passed; unknown keys and wrong types are ignored. */
export function resolveConfig(...layers: Array<Partial<MysqlDiagnosticsConfig> | Record<string, unknown> | undefined>): MysqlDiagnosticsConfig {
  return resolveDiagnosticsConfig(DEFAULT_CONFIG, ...layers);
}
