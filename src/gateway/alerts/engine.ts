// The alert engine: every `alerts.interval` (off the request path) it samples the gateway's own
// metrics and plugin states, evaluates each rule per plugin, and moves alerts pending → firing →
// resolved (with `for:`), as events, log lines, plugway_alerts_firing{rule,plugin} and notifications.

import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import type { Host } from '../../host/types.js';
import type { AlertsConfig } from '../../host/config-alerts.js';
import { alertsConfigOf, RAW_ALERT_DEFAULTS } from '../../host/config-alerts.js';
import type { CircuitState } from '../../resilience/circuit-breaker.js';
import { Notifier, type AlertNotice } from './notifiers.js';
import { evaluate, type AlertRule, type PluginSample } from './rules.js';

export interface AlertView {
  rule: string;
  plugin: string;
  state: 'pending' | 'firing' | 'resolved';
  severity: string;
  value: number;
  threshold: number;
  summary: string;
  /** ISO: when the condition began (pending), when it fired, when it resolved. */
  active_since: string;
  fired_at?: string;
  resolved_at?: string;
}

interface Tracked extends AlertView {
  /** performance.now() when the condition began. */
  since: number;
}

interface Sample {
  t: number;
  plugins: Map<string, PluginSample>;
}

export interface AlertEngineDeps {
  host: Host;
  registry: Registry;
  logger: Logger;
  circuitState(id: string): CircuitState | undefined;
  config?: AlertsConfig;
  node?: string;
}

type MetricValues = Array<{ labels: Record<string, string | number>; value: number; metricName?: string }>;

export class AlertEngine {
  readonly config: AlertsConfig;
  private readonly history: Sample[] = [];
  private readonly tracked = new Map<string, Tracked>();
  private readonly resolved: AlertView[] = [];
  private readonly rolledBackAt = new Map<string, number>();
  private readonly gauge: Gauge<'rule' | 'plugin'>;
  private readonly notifiers: Notifier[];
  private readonly off: () => void;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  /** Notifications still being sent (tests and close() wait on them). */
  private readonly sending = new Set<Promise<unknown>>();

  constructor(private readonly deps: AlertEngineDeps) {
    this.config = deps.config ?? alertsConfigOf(structuredClone(RAW_ALERT_DEFAULTS));
    this.gauge = new Gauge({ name: 'plugway_alerts_firing', help: 'Alerts firing now (1), by rule and plugin', labelNames: ['rule', 'plugin'], registers: [deps.registry] });
    this.notifiers = this.config.notifiers.map((n) => new Notifier(n, deps.logger));
    this.off = deps.host.events.on<{ id: string }>('plugin.rolled_back', (e) => void this.rolledBackAt.set(e.data.id, performance.now()));
  }

  start(): void {
    if (!this.config.enabled || this.timer) return;
    this.timer = setInterval(() => void this.tick(), this.config.intervalMs);
    this.timer.unref();
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.off();
    await this.running;
    await Promise.allSettled([...this.sending]);
  }

  /** One evaluation (the timer calls it; tests may too). Never rejects. */
  tick(): Promise<void> {
    this.running ??= this.evaluate()
      .catch((err: unknown) => this.deps.logger.warn({ err: { message: (err as Error).message } }, 'alert evaluation failed'))
      .finally(() => (this.running = undefined));
    return this.running;
  }

  /** What GET /admin/alerts shows. */
  list(): { firing: AlertView[]; pending: AlertView[]; resolved: AlertView[]; rules: AlertRule[] } {
    const views = [...this.tracked.values()].map(({ since: _s, ...v }) => v);
    return { firing: views.filter((v) => v.state === 'firing'), pending: views.filter((v) => v.state === 'pending'), resolved: [...this.resolved].reverse(), rules: this.config.rules };
  }

  /** Resolves once the notifications sent so far have been delivered or given up. */
  async flushed(): Promise<void> {
    await Promise.allSettled([...this.sending]);
  }

  private async evaluate(): Promise<void> {
    const t = performance.now();
    const now: Sample = { t, plugins: await this.sample() };
    this.history.push(now);
    const longest = Math.max(0, ...this.config.rules.map((r) => r.windowMs));
    while (this.history.length > 2 && t - this.history[1]!.t >= longest) this.history.shift();
    const seen = new Set<string>();
    for (const rule of this.config.rules) {
      if (!rule.enabled) continue;
      const then = this.sampleAgo(rule.windowMs, t);
      for (const [id, s] of now.plugins) {
        if (rule.plugins.length && !rule.plugins.includes(id)) continue;
        const key = `${rule.name}|${id}`;
        seen.add(key);
        this.step(rule, id, evaluate(rule, id, s, then?.plugins.get(id), t), t, key);
      }
    }
    // A plugin that went away resolves its alerts.
    for (const [key, a] of this.tracked) if (!seen.has(key)) this.step(this.config.rules.find((r) => r.name === a.rule)!, a.plugin, { active: false, value: 0, summary: a.summary }, t, key);
  }

  /**
   * The newest sample at least `windowMs` old. None while the gateway is younger than the window:
   * its counters started at zero less than a window ago, so zero is the baseline.
   */
  private sampleAgo(windowMs: number, t: number): Sample | undefined {
    let pick: Sample | undefined;
    for (const s of this.history) {
      if (t - s.t >= windowMs) pick = s;
      else break;
    }
    return pick;
  }

  private step(rule: AlertRule, plugin: string, c: { active: boolean; value: number; summary: string }, t: number, key: string): void {
    const a = this.tracked.get(key);
    if (!c.active) {
      if (!a) return;
      this.tracked.delete(key);
      if (a.state === 'firing') this.transition({ ...a, state: 'resolved', value: c.value, resolved_at: new Date().toISOString() });
      return;
    }
    if (!a) {
      const n: Tracked = {
        rule: rule.name,
        plugin,
        state: 'pending',
        severity: rule.severity,
        value: c.value,
        threshold: rule.threshold,
        summary: c.summary,
        active_since: new Date().toISOString(),
        since: t,
      };
      this.tracked.set(key, n);
      if (rule.forMs <= 0) this.fire(n);
      return;
    }
    a.value = c.value;
    a.summary = c.summary;
    if (a.state === 'pending' && t - a.since >= rule.forMs) this.fire(a);
  }

  private fire(a: Tracked): void {
    a.state = 'firing';
    a.fired_at = new Date().toISOString();
    this.transition(a);
  }

  private transition(a: AlertView): void {
    const firing = a.state === 'firing';
    this.gauge.labels(a.rule, a.plugin).set(firing ? 1 : 0);
    const { since: _s, ...view } = a as Tracked;
    if (!firing) {
      this.resolved.push(view);
      if (this.resolved.length > 100) this.resolved.shift();
    }
    const log = { alert: a.rule, plugin_id: a.plugin, severity: a.severity, value: a.value, threshold: a.threshold };
    if (firing) this.deps.logger.warn(log, `alert firing: ${a.rule} (${a.summary})`);
    else this.deps.logger.info(log, `alert resolved: ${a.rule} for ${a.plugin}`);
    void this.deps.host.events.emit(firing ? 'alert.firing' : 'alert.resolved', view, 'plugway').catch(() => undefined);
    const notice: AlertNotice = {
      status: firing ? 'firing' : 'resolved',
      rule: a.rule,
      plugin: a.plugin,
      severity: a.severity,
      value: a.value,
      threshold: a.threshold,
      summary: a.summary,
      starts_at: a.fired_at ?? a.active_since,
      ...(a.resolved_at ? { ends_at: a.resolved_at } : {}),
      ...(this.deps.node ? { node: this.deps.node } : {}),
    };
    for (const n of this.notifiers) {
      const p = n.send(notice);
      this.sending.add(p);
      void p.finally(() => this.sending.delete(p));
    }
  }

  /** Per plugin: the gateway's request counters and latency buckets, rate-limit refusals, restarts, states. */
  private async sample(): Promise<Map<string, PluginSample>> {
    const { host, registry } = this.deps;
    const out = new Map<string, PluginSample>();
    const of = (id: string): PluginSample => {
      let s = out.get(id);
      if (!s) out.set(id, (s = { requests: 0, serverErrors: 0, latency: [], rateLimited: 0, restarts: 0, breakerOpen: false, unhealthy: false, failed: false }));
      return s;
    };
    for (const p of host.list()) {
      const active = host.get(p.id) ?? p;
      const s = of(p.id);
      s.failed = active.state === 'failed';
      s.unhealthy = active.health === 'unhealthy';
      s.breakerOpen = this.deps.circuitState(p.id) === 'open';
      s.restarts = host.runtimeStats(p.id)?.restarts ?? 0;
      const rb = this.rolledBackAt.get(p.id);
      if (rb !== undefined) s.rolledBackAt = rb;
    }
    const values = async (name: string): Promise<MetricValues> => ((await registry.getSingleMetric(name)?.get()) as { values?: MetricValues } | undefined)?.values ?? [];
    for (const v of await values('plugway_http_requests_total')) {
      const id = String(v.labels.plugin ?? '');
      if (!out.has(id)) continue;
      const s = of(id);
      s.requests += v.value;
      if (Number(v.labels.status) >= 500) s.serverErrors += v.value;
    }
    for (const v of await values('plugway_rate_limited_total')) {
      const id = String(v.labels.plugin ?? '');
      if (out.has(id)) of(id).rateLimited += v.value;
    }
    const buckets = new Map<string, Map<number, number>>();
    for (const v of await values('plugway_http_request_duration_seconds')) {
      if (!v.metricName?.endsWith('_bucket')) continue;
      const id = String(v.labels.plugin ?? '');
      if (!out.has(id)) continue;
      const le = v.labels.le === '+Inf' ? Infinity : Number(v.labels.le);
      let m = buckets.get(id);
      if (!m) buckets.set(id, (m = new Map()));
      m.set(le, (m.get(le) ?? 0) + v.value);
    }
    for (const [id, m] of buckets) of(id).latency = [...m].sort((a, b) => a[0] - b[0]);
    return out;
  }
}
