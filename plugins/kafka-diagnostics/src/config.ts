// The plugin's thresholds and switches: the checklist's defaults (shared/reference/diagnostics-checklists.md),
// overridable through the plugin config (config_schema in plugin.yaml mirrors these names).
import { resolveDiagnosticsConfig } from 'plugway/sdk';

export interface KafkaDiagConfig {
  window: string | number;
  samples: number;
  connect_timeout_ms: number;
  request_timeout_ms: number;
  allow_destructive: boolean;
  /** Consumer groups to check when the broker cannot list them. */
  groups: string[];
  include_internal_topics: boolean;
  /** Burrow's allowance: partitions with lag at or below it are OK whatever the trend. */
  lag_allowance: number;
  lag_time_warn_seconds: number;
  lag_time_crit_seconds: number;
  lag_retention_crit_ratio: number;
  preferred_leader_imbalance_ratio: number;
  leader_skew_ratio: number;
  max_lag_points: number;
}

export const DEFAULTS: KafkaDiagConfig = {
  window: '3s',
  samples: 4,
  connect_timeout_ms: 5000,
  request_timeout_ms: 5000,
  allow_destructive: false,
  groups: [],
  include_internal_topics: false,
  lag_allowance: 0,
  lag_time_warn_seconds: 60,
  lag_time_crit_seconds: 300,
  lag_retention_crit_ratio: 0.5,
  preferred_leader_imbalance_ratio: 0.1,
  leader_skew_ratio: 1.1,
  max_lag_points: 120,
};

/** Later sources win; unknown keys are ignored, wrong types fall back to the default. */
export function resolveConfig(...parts: Array<Record<string, unknown> | undefined>): KafkaDiagConfig {
  return resolveDiagnosticsConfig(DEFAULTS, ...parts);
}
