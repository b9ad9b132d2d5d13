// The watch after a cut-over (or over a canary's life): trips when the watched instance's error rate
// passes the threshold over at least minCalls calls, its health check fails, or it fails; passes at the window's end.
// After a cut-over it also trips when the plugin's circuit opens: an open breaker keeps calls from
// reaching a hanging version, so its error rate alone would never get to minCalls.

import type { HealthStatus } from '../../sdk/types.js';
import type { EventBusImpl } from '../events.js';
import type { HealthMonitor } from '../health.js';
import type { PluginRecord } from '../registry.js';
import type { CallCounters, Traffic } from '../traffic.js';
import type { StateChange } from '../types.js';

export interface WatchRules {
  /** How long to watch; Infinity for a canary (watched until promoted or aborted). */
  windowMs: number;
  /** 0..1 */
  errorRateThreshold: number;
  minCalls: number;
  /** How often to run the health check during the window (default: window/5, 200 ms..5 s). */
  healthIntervalMs?: number;
}

export type TripCause = 'error_rate' | 'health' | 'failed' | 'circuit_open';

/** Why the counts since the window opened trip the rules, or undefined. */
export function errorRateVerdict(c: { calls: number; errors: number }, rules: Pick<WatchRules, 'errorRateThreshold' | 'minCalls'>): string | undefined {
  if (c.calls === 0 || c.calls < rules.minCalls) return undefined;
  const rate = c.errors / c.calls;
  if (rate <= rules.errorRateThreshold) return undefined;
  return `error rate ${(rate * 100).toFixed(1)}% (${c.errors} of ${c.calls} calls) passed the threshold of ${(rules.errorRateThreshold * 100).toFixed(1)}%`;
}

export interface WatchDeps {
  traffic: Traffic;
  events: EventBusImpl;
  health: HealthMonitor;
}

export class RollbackWatch {
  private readonly offs: Array<() => void> = [];
  private timers: NodeJS.Timeout[] = [];
  private baseline: CallCounters = { inFlight: 0, calls: 0, errors: 0, totalMs: 0 };
  private done = false;
  readonly startedAt = Date.now();

  constructor(
    readonly rec: PluginRecord,
    readonly rules: WatchRules,
    private readonly deps: WatchDeps,
    private readonly onTrip: (reason: string, cause: TripCause) => void,
    private readonly onPass: () => void = () => undefined,
  ) {}

  /** Calls and errors since the watch started. */
  counts(): { calls: number; errors: number } {
    const c = this.deps.traffic.countersOf(this.rec);
    return { calls: c.calls - this.baseline.calls, errors: c.errors - this.baseline.errors };
  }

  get active(): boolean {
    return !this.done;
  }

  start(): this {
    const { traffic, events, health } = this.deps;
    const rec = this.rec;
    this.baseline = { ...traffic.countersOf(rec) };
    this.offs.push(
      traffic.onSettled((r, failed) => {
        if (r !== rec || !failed || this.done) return;
        const why = errorRateVerdict(this.counts(), this.rules);
        if (why) this.trip(why, 'error_rate');
      }),
      events.on<{ id: string; version: string; to: string; detail?: HealthStatus }>('plugin.health_changed', (e) => {
        const d = e.data;
        if (d.id === rec.id && d.version === rec.version && d.to === 'unhealthy') this.trip(`health check failed: ${d.detail?.message ?? 'unhealthy'}`, 'health');
      }),
      events.on<{ id: string; to: string }>('gateway.circuit_changed', (e) => {
        // A canary shares the plugin's breaker with the stable version: only a cut-over's watch owns it.
        if (e.source !== 'plugway' || !Number.isFinite(this.rules.windowMs)) return;
        if (e.data.id === rec.id && e.data.to === 'open')
          this.trip(`its circuit breaker opened (calls failing or timing out: ${this.counts().errors} of ${this.counts().calls} since the cut-over)`, 'circuit_open');
      }),
      events.on<StateChange>('plugin.state_changed', (e) => {
        const d = e.data;
        if (d.id === rec.id && d.version === rec.version && d.to === 'failed') this.trip(`it failed: ${d.error?.message ?? 'unknown error'}`, 'failed');
      }),
    );
    const every = this.rules.healthIntervalMs ?? Math.min(5000, Math.max(200, Number.isFinite(this.rules.windowMs) ? this.rules.windowMs / 5 : 5000));
    const poll = setInterval(() => {
      if (this.done || rec.state !== 'running') return;
      void health
        .check(rec)
        .then((s) => {
          if (s.status === 'unhealthy') this.trip(`health check failed: ${s.message ?? 'unhealthy'}`, 'health');
        })
        .catch(() => undefined);
    }, every);
    poll.unref();
    this.timers.push(poll);
    if (Number.isFinite(this.rules.windowMs)) {
      const end = setTimeout(() => {
        if (this.done) return;
        this.cancel();
        this.onPass();
      }, this.rules.windowMs);
      end.unref();
      this.timers.push(end);
    }
    return this;
  }

  /** Stops watching without a verdict. */
  cancel(): void {
    this.done = true;
    for (const off of this.offs.splice(0)) off();
    for (const t of this.timers) clearTimeout(t);
    this.timers = [];
  }

  private trip(reason: string, cause: TripCause): void {
    if (this.done) return;
    this.cancel();
    this.onTrip(reason, cause);
  }
}
