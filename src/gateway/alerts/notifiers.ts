// Where alerts are sent: a generic webhook (one JSON alert per POST) and Prometheus Alertmanager's
// v2 API (POST /api/v2/alerts with an array). Each send has a timeout and retries with backoff.

import type { Logger } from 'pino';
import { reasonOf } from '../../errors.js';

export interface AlertNotice {
  status: 'firing' | 'resolved';
  rule: string;
  plugin: string;
  severity: string;
  value: number;
  threshold: number;
  summary: string;
  /** ISO times. */
  starts_at: string;
  ends_at?: string;
  node?: string;
}

export interface NotifierConfig {
  type: 'webhook' | 'alertmanager';
  url: string;
  timeoutMs: number;
  retries: number;
  headers: Record<string, string>;
}

/** The Alertmanager v2 body for one alert (an array of these is POSTed). */
export function alertmanagerAlert(n: AlertNotice): Record<string, unknown> {
  return {
    labels: { alertname: n.rule, plugin: n.plugin, severity: n.severity, service: 'plugway', ...(n.node ? { node: n.node } : {}) },
    annotations: { summary: n.summary, value: String(n.value), threshold: String(n.threshold) },
    startsAt: n.starts_at,
    // A resolved alert is an alert whose end is now (Alertmanager's way of resolving).
    ...(n.ends_at ? { endsAt: n.ends_at } : {}),
  };
}

export class Notifier {
  constructor(
    readonly config: NotifierConfig,
    private readonly logger: Logger,
  ) {}

  /** Sends one notice; resolves true once delivered (2xx), false after the last retry. Never throws. */
  async send(n: AlertNotice): Promise<boolean> {
    const c = this.config;
    const url = c.type === 'alertmanager' ? `${c.url.replace(/\/+$/, '')}/api/v2/alerts` : c.url;
    const body = JSON.stringify(c.type === 'alertmanager' ? [alertmanagerAlert(n)] : n);
    let last = '';
    for (let attempt = 0; attempt <= c.retries; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(5_000, 200 * 2 ** (attempt - 1))));
      try {
        const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...c.headers }, body, signal: AbortSignal.timeout(c.timeoutMs) });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) return true;
        last = `HTTP ${res.status}`;
      } catch (err) {
        last = reasonOf(err);
      }
    }
    this.logger.warn(
      { notifier: c.type, url: c.url, rule: n.rule, plugin_id: n.plugin, status: n.status, attempts: c.retries + 1, err: { message: last } },
      `alert notification to ${c.type} failed after ${c.retries + 1} attempts: ${last}`,
    );
    return false;
  }
}
