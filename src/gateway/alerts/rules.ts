// Alert rules: their types, the defaults that apply out of the box, and how each one reads a
// plugin's condition from two samples of the gateway's own metrics (now and a window ago).

import type { AlertRule } from '../../host/config-alerts.js';

export { DEFAULT_ALERT_RULES, ALERT_RULE_TYPES, type AlertRule, type AlertRuleType } from '../../host/config-alerts.js';

/** What one evaluation knows about a plugin: counters (cumulative) and states (now). */
export interface PluginSample {
  requests: number;
  serverErrors: number;
  /** Cumulative latency bucket counts by upper bound (seconds), +Inf last. */
  latency: Array<[number, number]>;
  rateLimited: number;
  restarts: number;
  breakerOpen: boolean;
  unhealthy: boolean;
  failed: boolean;
  /** performance.now() of its last rollback, if any. */
  rolledBackAt?: number;
}

export interface Condition {
  active: boolean;
  /** The measured value (a ratio, seconds, a count; 1/0 for states). */
  value: number;
  summary: string;
}

/** p99 upper bound from bucket deltas; undefined without requests. */
export function p99Of(now: Array<[number, number]>, then: Array<[number, number]> | undefined): number | undefined {
  const deltas = now.map(([le, c], i) => [le, c - (then?.[i]?.[1] ?? 0)] as [number, number]);
  const total = deltas.at(-1)?.[1] ?? 0;
  if (total <= 0) return undefined;
  for (const [le, c] of deltas) if (c >= 0.99 * total) return le;
  return Infinity;
}

export function evaluate(rule: AlertRule, id: string, now: PluginSample, then: PluginSample | undefined, t: number): Condition {
  const d = (k: 'requests' | 'serverErrors' | 'rateLimited' | 'restarts') => now[k] - (then?.[k] ?? 0);
  const window = `${Math.round(rule.windowMs / 1000)}s`;
  switch (rule.type) {
    case 'error_rate': {
      const n = d('requests');
      const rate = n > 0 ? d('serverErrors') / n : 0;
      return {
        active: n >= rule.minRequests && rate > rule.threshold,
        value: rate,
        summary: `${id}: ${(rate * 100).toFixed(1)}% of ${n} requests failed (5xx) in ${window}, above ${(rule.threshold * 100).toFixed(1)}%`,
      };
    }
    case 'latency_p99': {
      const n = d('requests');
      const p99 = p99Of(now.latency, then?.latency) ?? 0;
      return { active: n >= rule.minRequests && p99 > rule.threshold, value: p99, summary: `${id}: p99 latency ≤ ${p99}s over ${n} requests in ${window}, above ${rule.threshold}s` };
    }
    case 'breaker_open':
      return { active: now.breakerOpen, value: now.breakerOpen ? 1 : 0, summary: `${id}: circuit breaker open` };
    case 'health_failing':
      return { active: now.unhealthy, value: now.unhealthy ? 1 : 0, summary: `${id}: health check failing` };
    case 'plugin_failed': {
      const rolledBack = now.rolledBackAt !== undefined && t - now.rolledBackAt < rule.windowMs;
      return { active: now.failed || rolledBack, value: now.failed || rolledBack ? 1 : 0, summary: now.failed ? `${id}: plugin failed` : `${id}: rolled back within ${window}` };
    }
    case 'restart_loop': {
      const n = d('restarts');
      return { active: n >= rule.threshold, value: n, summary: `${id}: ${n} restarts in ${window} (threshold ${rule.threshold})` };
    }
    case 'rate_limit_spike': {
      const n = d('rateLimited');
      return { active: n >= rule.threshold, value: n, summary: `${id}: ${n} requests refused by rate limits in ${window} (threshold ${rule.threshold})` };
    }
  }
}
