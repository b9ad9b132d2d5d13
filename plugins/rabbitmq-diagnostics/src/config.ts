// The plugin's thresholds and switches (*ours* where neither rabbitmq-diagnostics nor the
// rabbitmq_prometheus dashboards give a number), overridable through the plugin config
// (config_schema in plugin.yaml mirrors these names).
import { resolveDiagnosticsConfig } from 'plugway/sdk';

export interface RabbitDiagConfig {
  window: string | number;
  samples: number;
  connect_timeout_ms: number;
  request_timeout_ms: number;
  allow_destructive: boolean;
  /** Port of the management HTTP API on the target host, when the target gives no management URL. */
  management_port: number;
  memory_warning_ratio: number;
  /** Disk free below this many times disk_free_limit warns before the alarm fires. */
  disk_free_warning_factor: number;
  fd_warning_ratio: number;
  fd_critical_ratio: number;
  sockets_warning_ratio: number;
  sockets_critical_ratio: number;
  processes_warning_ratio: number;
  processes_critical_ratio: number;
  /** Ready messages a queue needs before its backlog is judged. */
  backlog_min_messages: number;
  unacked_warning_messages: number;
  consumer_utilisation_warning: number;
  connection_churn_per_second: number;
  channel_churn_per_second: number;
  /** Queues listed at most in one finding. */
  queues_listed: number;
}

export const DEFAULTS: RabbitDiagConfig = {
  window: '5s',
  samples: 3,
  connect_timeout_ms: 5000,
  request_timeout_ms: 10_000,
  allow_destructive: false,
  management_port: 15672,
  memory_warning_ratio: 0.8,
  disk_free_warning_factor: 2,
  fd_warning_ratio: 0.8,
  fd_critical_ratio: 0.9,
  sockets_warning_ratio: 0.8,
  sockets_critical_ratio: 0.9,
  processes_warning_ratio: 0.8,
  processes_critical_ratio: 0.9,
  backlog_min_messages: 1000,
  unacked_warning_messages: 1000,
  consumer_utilisation_warning: 0.5,
  connection_churn_per_second: 10,
  channel_churn_per_second: 100,
  queues_listed: 10,
};

/** Later sources win; unknown keys are ignored, wrong types fall back to the default. */
export function resolveConfig(...parts: Array<Record<string, unknown> | undefined>): RabbitDiagConfig {
  return resolveDiagnosticsConfig(DEFAULTS, ...parts);
}
