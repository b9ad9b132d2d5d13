// postgres-diagnostics' configuration: every threshold of the PostgreSQL checklist with its
// default (sources: check_postgres, pghero; *ours* where neither gives a number).
import { resolveDiagnosticsConfig } from 'plugway/sdk';

export interface PostgresDiagnosticsConfig {
  window: string | number;
  samples: number;
  connections_warning_ratio: number;
  connections_critical_ratio: number;
  idle_in_transaction_warning_seconds: number;
  idle_in_transaction_warning_count: number;
  long_query_warning_seconds: number;
  long_transaction_critical_seconds: number;
  cache_hit_warning_ratio: number;
  /** Blocks the window must touch before the cache hit ratio is judged on it. */
  cache_min_window_blocks: number;
  /** Below this many blocks since the stats reset, a lifetime cache hit ratio is info only. */
  cache_min_lifetime_blocks: number;
  replica_lag_warning_seconds: number;
  replica_lag_critical_seconds: number;
  inactive_slot_warning_bytes: number;
  wraparound_warning_xids: number;
  wraparound_critical_xids: number;
  freeze_age_warning_ratio: number;
  freeze_age_critical_ratio: number;
  table_bloat_warning_bytes: number;
  table_bloat_critical_bytes: number;
  index_bloat_warning_bytes: number;
  vacuum_warning_seconds: number;
  vacuum_critical_seconds: number;
  vacuum_min_dead_tuples: number;
  /** Dead rows as a share of all rows (autovacuum's default scale factor is 0.2). */
  dead_tuples_warning_ratio: number;
  dead_tuples_critical_ratio: number;
  /** Tables smaller than this are not judged on their dead-row share. */
  dead_tuples_min_table_bytes: number;
  /** Tables with fewer live rows are not judged on their sequential scans. */
  seq_scan_min_table_rows: number;
  /** Sequential scans of one table in the window (or since start) before it is reported. */
  seq_scan_min_scans: number;
  locks_warning: number;
  locks_critical: number;
  lock_wait_warning_seconds: number;
  lock_wait_critical_seconds: number;
  slow_statement_mean_ms: number;
  slow_statement_min_calls: number;
  statements_top: number;
  temp_blocks_warning: number;
  prepared_xact_warning_seconds: number;
  prepared_xact_critical_seconds: number;
  sequence_warning_ratio: number;
  sequence_critical_ratio: number;
  wal_files_warning: number;
  wal_files_critical: number;
  unused_index_max_scans: number;
  unused_index_min_bytes: number;
  allow_destructive: boolean;
  connect_timeout_ms: number;
  statement_timeout_ms: number;
}

export const DEFAULT_CONFIG: PostgresDiagnosticsConfig = {
  window: '5s',
  samples: 3,
  connections_warning_ratio: 0.9,
  connections_critical_ratio: 0.95,
  idle_in_transaction_warning_seconds: 300,
  idle_in_transaction_warning_count: 100,
  long_query_warning_seconds: 60,
  long_transaction_critical_seconds: 3600,
  cache_hit_warning_ratio: 0.99,
  cache_min_window_blocks: 1000,
  cache_min_lifetime_blocks: 1_000_000,
  replica_lag_warning_seconds: 5,
  replica_lag_critical_seconds: 300,
  inactive_slot_warning_bytes: 0,
  wraparound_warning_xids: 1_300_000_000,
  wraparound_critical_xids: 1_400_000_000,
  freeze_age_warning_ratio: 0.9,
  freeze_age_critical_ratio: 0.95,
  table_bloat_warning_bytes: 1_073_741_824,
  table_bloat_critical_bytes: 5_368_709_120,
  index_bloat_warning_bytes: 104_857_600,
  vacuum_warning_seconds: 86_400,
  vacuum_critical_seconds: 172_800,
  vacuum_min_dead_tuples: 1000,
  dead_tuples_warning_ratio: 0.2,
  dead_tuples_critical_ratio: 0.5,
  dead_tuples_min_table_bytes: 10_485_760,
  seq_scan_min_table_rows: 100_000,
  seq_scan_min_scans: 2,
  locks_warning: 100,
  locks_critical: 150,
  lock_wait_warning_seconds: 60,
  lock_wait_critical_seconds: 120,
  slow_statement_mean_ms: 20,
  slow_statement_min_calls: 100,
  statements_top: 10,
  temp_blocks_warning: 100_000,
  prepared_xact_warning_seconds: 1,
  prepared_xact_critical_seconds: 30,
  sequence_warning_ratio: 0.85,
  sequence_critical_ratio: 0.95,
  wal_files_warning: 10,
  wal_files_critical: 15,
  unused_index_max_scans: 50,
  unused_index_min_bytes: 10_485_760,
  allow_destructive: false,
  connect_timeout_ms: 5000,
  statement_timeout_ms: 15_000,
};

/** Defaults under whatever the host (or a caller) passed; unknown keys and wrong types are ignored. */
export function resolveConfig(...layers: Array<Partial<PostgresDiagnosticsConfig> | Record<string, unknown> | undefined>): PostgresDiagnosticsConfig {
  return resolveDiagnosticsConfig(DEFAULT_CONFIG, ...layers);
}
