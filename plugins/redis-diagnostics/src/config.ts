// The plugin's thresholds and switches: the checklist's defaults (shared/reference/diagnostics-checklists.md),
// overridable through the plugin config (config_schema in plugin.yaml mirrors these names).
import { resolveDiagnosticsConfig } from 'plugway/sdk';

export interface RedisDiagConfig {
  window: string | number;
  samples: number;
  connect_timeout_ms: number;
  allow_destructive: boolean;
  memory_warn_ratio: number;
  memory_crit_ratio: number;
  memory_unset_system_warn_ratio: number;
  system_memory_crit_ratio: number;
  noeviction_crit_ratio: number;
  frag_ratio_warn: number;
  frag_bytes_floor: number;
  frag_low_used_floor: number;
  memory_doctor_floor: number;
  peak_ratio: number;
  overhead_ratio: number;
  client_output_buffer_avg_bytes: number;
  replica_buffers_bytes: number;
  cached_scripts_max: number;
  clients_warn_ratio: number;
  clients_crit_ratio: number;
  clients_many: number;
  client_idle_seconds: number;
  hit_rate_min: number;
  hit_rate_min_ops: number;
  replica_io_seconds: number;
  replica_lag_seconds: number;
  backlog_min_seconds: number;
  slowlog_warn_ms: number;
  slowlog_entries: number;
  /** Slowlog entries older than this are history (info), not a warning. */
  slowlog_recent_seconds: number;
  latency_event_warn_ms: number;
  fork_rate_terrible_gbps: number;
  fork_rate_poor_gbps: number;
  fork_rate_rss_floor: number;
  command_error_ratio: number;
  command_error_min: number;
  scan_max_keys: number;
  scan_budget_ms: number;
  /** Keys asked for per SCAN call (its COUNT). */
  scan_count: number;
  /** Start each scan at a random cursor (and come round to it), so partial scans cover other keys each run. */
  scan_from_random_cursor: boolean;
  /** Size each SCAN batch in one server-side script call (falls back to pipelines when EVAL is denied). */
  scan_with_script: boolean;
  big_string_bytes: number;
  big_hash_fields: number;
  big_set_members: number;
  big_list_items: number;
  big_zset_members: number;
  big_stream_entries: number;
  many_keys: number;
  min_version: string;
  min_sentinels: number;
  loopback_is_trusted: boolean;
}

export const DEFAULTS: RedisDiagConfig = {
  window: '2s',
  samples: 3,
  connect_timeout_ms: 3000,
  allow_destructive: false,
  memory_warn_ratio: 0.8,
  memory_crit_ratio: 0.95,
  memory_unset_system_warn_ratio: 0.5,
  system_memory_crit_ratio: 0.9,
  noeviction_crit_ratio: 0.9,
  frag_ratio_warn: 1.5,
  frag_bytes_floor: 10 * 1024 * 1024,
  frag_low_used_floor: 100 * 1024 * 1024,
  memory_doctor_floor: 5 * 1024 * 1024,
  peak_ratio: 1.5,
  overhead_ratio: 1.1,
  client_output_buffer_avg_bytes: 200 * 1024,
  replica_buffers_bytes: 10 * 1024 * 1024,
  cached_scripts_max: 1000,
  clients_warn_ratio: 0.8,
  clients_crit_ratio: 0.95,
  clients_many: 100,
  client_idle_seconds: 3600,
  hit_rate_min: 0.8,
  hit_rate_min_ops: 10_000,
  replica_io_seconds: 30,
  replica_lag_seconds: 10,
  backlog_min_seconds: 60,
  slowlog_warn_ms: 100,
  slowlog_entries: 128,
  slowlog_recent_seconds: 900,
  latency_event_warn_ms: 100,
  fork_rate_terrible_gbps: 10,
  fork_rate_poor_gbps: 25,
  fork_rate_rss_floor: 100 * 1024 * 1024,
  command_error_ratio: 0.05,
  command_error_min: 10,
  scan_max_keys: 10_000_000,
  scan_budget_ms: 5000,
  scan_count: 1000,
  scan_from_random_cursor: true,
  scan_with_script: true,
  big_string_bytes: 1024 * 1024,
  big_hash_fields: 5000,
  big_set_members: 100_000,
  big_list_items: 1000,
  big_zset_members: 100_000,
  big_stream_entries: 100_000,
  many_keys: 1_000_000,
  min_version: '6.0.0',
  min_sentinels: 3,
  loopback_is_trusted: true,
};

/** Later sources win; unknown keys are ignored, wrong types fall back to the default. */
export function resolveConfig(...parts: Array<Record<string, unknown> | undefined>): RedisDiagConfig {
  return resolveDiagnosticsConfig(DEFAULTS, ...parts);
}
