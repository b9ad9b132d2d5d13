// plugway.yaml `alerts:`: the rule types, the default rules, notifiers, and their schema and
// normalization (merged by name over the defaults). The gateway evaluates them (gateway/alerts/).
import { toDurationMs } from '../manifest/duration.js';

export type AlertRuleType = 'error_rate' | 'latency_p99' | 'breaker_open' | 'health_failing' | 'plugin_failed' | 'restart_loop' | 'rate_limit_spike';
export const ALERT_RULE_TYPES: readonly AlertRuleType[] = ['error_rate', 'latency_p99', 'breaker_open', 'health_failing', 'plugin_failed', 'restart_loop', 'rate_limit_spike'];

export interface AlertRule {
  name: string;
  type: AlertRuleType;
  enabled: boolean;
  /** error_rate: a ratio 0..1; latency_p99: seconds; restart_loop / rate_limit_spike: a count in the window. */
  threshold: number;
  windowMs: number;
  /** The condition must hold this long before the alert fires (Prometheus' `for:`). */
  forMs: number;
  /** error_rate / latency_p99: fewer requests in the window never fire. */
  minRequests: number;
  severity: 'critical' | 'warning' | 'info';
  /** Only these plugins (empty: all). */
  plugins: string[];
}

type RuleDefault = Omit<AlertRule, 'name' | 'enabled' | 'plugins'>;

/** The rules every gateway has unless plugway.yaml turns them off (alerts.rules.<name>.enabled: false). */
export const DEFAULT_ALERT_RULES: Record<string, RuleDefault> = {
  plugin_error_rate: { type: 'error_rate', threshold: 0.05, windowMs: 300_000, forMs: 120_000, minRequests: 20, severity: 'critical' },
  plugin_latency_p99: { type: 'latency_p99', threshold: 1, windowMs: 300_000, forMs: 300_000, minRequests: 20, severity: 'warning' },
  circuit_open: { type: 'breaker_open', threshold: 0, windowMs: 0, forMs: 0, minRequests: 0, severity: 'critical' },
  health_failing: { type: 'health_failing', threshold: 0, windowMs: 0, forMs: 60_000, minRequests: 0, severity: 'critical' },
  plugin_failed: { type: 'plugin_failed', threshold: 0, windowMs: 600_000, forMs: 0, minRequests: 0, severity: 'critical' },
  restart_loop: { type: 'restart_loop', threshold: 3, windowMs: 300_000, forMs: 0, minRequests: 0, severity: 'critical' },
  rate_limit_spike: { type: 'rate_limit_spike', threshold: 100, windowMs: 60_000, forMs: 60_000, minRequests: 0, severity: 'warning' },
};

export interface AlertNotifierConfig {
  type: 'webhook' | 'alertmanager';
  url: string;
  timeoutMs: number;
  retries: number;
  headers: Record<string, string>;
}

export interface AlertsConfig {
  enabled: boolean;
  /** How often rules are evaluated, ms. */
  intervalMs: number;
  rules: AlertRule[];
  notifiers: AlertNotifierConfig[];
}

export interface RawAlerts {
  enabled: boolean;
  interval: string | number;
  rules: Record<
    string,
    Partial<{ type: AlertRuleType; enabled: boolean; threshold: number; window: string | number; for: string | number; min_requests: number; severity: AlertRule['severity']; plugins: string[] }>
  >;
  notifiers: Array<{ type: 'webhook' | 'alertmanager'; url: string; timeout?: string | number; retries?: number; headers?: Record<string, string> }>;
}

export const RAW_ALERT_DEFAULTS: RawAlerts = { enabled: true, interval: '5s', rules: {}, notifiers: [] };

const duration = { type: ['string', 'number'], format: 'duration', minimum: 0 } as const;

export const alertsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    enabled: { type: 'boolean' },
    interval: duration,
    rules: {
      type: 'object',
      propertyNames: { pattern: '^[a-z][a-z0-9_]*$' },
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        properties: {
          type: { enum: [...ALERT_RULE_TYPES] },
          enabled: { type: 'boolean' },
          threshold: { type: 'number', minimum: 0 },
          window: duration,
          for: duration,
          min_requests: { type: 'integer', minimum: 0 },
          severity: { enum: ['critical', 'warning', 'info'] },
          plugins: { type: 'array', items: { type: 'string' } },
        },
      },
    },
    notifiers: {
      type: 'array',
      items: {
        type: 'object',
        required: ['type', 'url'],
        additionalProperties: false,
        properties: {
          type: { enum: ['webhook', 'alertmanager'] },
          url: { type: 'string', pattern: '^https?://' },
          timeout: duration,
          retries: { type: 'integer', minimum: 0, maximum: 10 },
          headers: { type: 'object', additionalProperties: { type: 'string' } },
        },
      },
    },
  },
} as const;

/** The rules: the defaults with plugway.yaml's changes by name, plus its own rules (which need a `type`). */
export function alertsConfigOf(raw: RawAlerts): AlertsConfig {
  const names = new Set([...Object.keys(DEFAULT_ALERT_RULES), ...Object.keys(raw.rules)]);
  const rules: AlertRule[] = [];
  for (const name of names) {
    const base = DEFAULT_ALERT_RULES[name];
    const o = raw.rules[name] ?? {};
    const type = o.type ?? base?.type;
    if (!type) continue; // a new rule without a type: the schema check in loadHostConfig names it
    const d = base ?? DEFAULT_ALERT_RULES[Object.keys(DEFAULT_ALERT_RULES).find((k) => DEFAULT_ALERT_RULES[k]!.type === type)!]!;
    rules.push({
      name,
      type,
      enabled: o.enabled ?? true,
      threshold: o.threshold ?? d.threshold,
      windowMs: o.window !== undefined ? toDurationMs(o.window)! : d.windowMs,
      forMs: o.for !== undefined ? toDurationMs(o.for)! : d.forMs,
      minRequests: o.min_requests ?? d.minRequests,
      severity: o.severity ?? d.severity,
      plugins: o.plugins ?? [],
    });
  }
  return {
    enabled: raw.enabled,
    intervalMs: toDurationMs(raw.interval)!,
    rules,
    notifiers: raw.notifiers.map((n) => ({ type: n.type, url: n.url, timeoutMs: n.timeout !== undefined ? toDurationMs(n.timeout)! : 5_000, retries: n.retries ?? 3, headers: n.headers ?? {} })),
  };
}
