// Scheduled health checks per manifest health_check {interval, timeout}: consecutive failures move a
// plugin to degraded, then unhealthy; every change is a plugin.health_changed event.

import type { Logger } from 'pino';
import { reasonOf } from '../errors.js';
import type { HealthState, HealthStatus } from '../sdk/types.js';
import type { EventBusImpl } from './events.js';
import type { PluginRecord, Registry } from './registry.js';

export interface HealthOptions {
  /** Consecutive failures that make a plugin degraded (default 1). */
  degradedAfter?: number;
  /** Consecutive failures that make it unhealthy (default 3). */
  unhealthyAfter?: number;
}

export class HealthMonitor {
  private readonly timers = new Map<PluginRecord, NodeJS.Timeout>();
  private readonly failures = new WeakMap<PluginRecord, number>();
  private readonly degradedAfter: number;
  private readonly unhealthyAfter: number;

  constructor(
    private readonly registry: Registry,
    private readonly events: EventBusImpl,
    private readonly logger: Logger,
    private readonly defaultTimeoutMs: number,
    options: HealthOptions = {},
  ) {
    this.degradedAfter = options.degradedAfter ?? 1;
    this.unhealthyAfter = options.unhealthyAfter ?? 3;
  }

  /** Starts periodic checks if the manifest declares health_check (called when a plugin starts running). */
  schedule(rec: PluginRecord): void {
    const hc = rec.manifest.healthCheck;
    if (!hc || this.timers.has(rec) || !(hc.intervalMs > 0)) return;
    const timer = setInterval(() => void this.check(rec).catch(() => undefined), hc.intervalMs);
    timer.unref();
    this.timers.set(rec, timer);
  }

  unschedule(rec: PluginRecord): void {
    const t = this.timers.get(rec);
    if (t) clearInterval(t);
    this.timers.delete(rec);
  }

  unscheduleAll(): void {
    for (const t of this.timers.values()) clearInterval(t);
    this.timers.clear();
  }

  /** Runs one check now and records its outcome. */
  async check(rec: PluginRecord): Promise<HealthStatus> {
    let status: HealthStatus;
    if (rec.state !== 'running' || !rec.runtime) {
      status = { status: 'unhealthy', message: `plugin is ${rec.state}` };
    } else if (!rec.runtime.implements('healthCheck')) {
      status = { status: 'healthy', message: 'running (no healthCheck)' };
    } else {
      const timeoutMs = rec.manifest.healthCheck?.timeoutMs ?? rec.manifest.resources.timeoutMs ?? this.defaultTimeoutMs;
      try {
        const r = await rec.runtime.call<HealthStatus | undefined>('healthCheck', [], { deadline: Date.now() + timeoutMs, probe: true });
        status = r && typeof r === 'object' && typeof r.status === 'string' ? r : { status: 'healthy' };
      } catch (err) {
        status = { status: 'unhealthy', message: reasonOf(err), details: { code: (err as { code?: string }).code } };
      }
    }
    if (status.status === 'healthy') status = await this.cpuVerdict(rec, status);
    await this.record(rec, status);
    return status;
  }

  /**
   * resources.cpu (or CovetPy's cpu_limit) is measured, not enforced (no per-thread CPU quota in Node):
   * a plugin whose isolated instances use more than that share of a core is degraded, saying so.
   */
  private async cpuVerdict(rec: PluginRecord, status: HealthStatus): Promise<HealthStatus> {
    const limit = rec.manifest.resources.cpu;
    if (limit === undefined || !rec.runtime) return status;
    const used = (await rec.runtime.resourceUsage().catch(() => ({}) as { cpuUsagePercent?: number })).cpuUsagePercent;
    if (typeof used !== 'number' || used <= limit * 100) return status;
    return {
      status: 'degraded',
      message: `CPU ${used.toFixed(0)}% of a core, above its limit of ${Math.round(limit * 100)}% (resources.cpu / cpu_limit)`,
      hint: 'measured, not enforced: find the hot path, raise the limit, or run it as wasm',
      details: { cpu_percent: used, limit_percent: limit * 100 },
    };
  }

  /** A healthy answer resets the count; unhealthy answers, throws and timeouts count as failures. */
  async record(rec: PluginRecord, status: HealthStatus): Promise<void> {
    let next: HealthState;
    if (status.status === 'healthy') {
      this.failures.set(rec, 0);
      next = 'healthy';
    } else if (status.status === 'degraded' || status.status === 'disabled') {
      next = status.status;
    } else {
      const n = (this.failures.get(rec) ?? 0) + 1;
      this.failures.set(rec, n);
      next = n >= this.unhealthyAfter ? 'unhealthy' : n >= this.degradedAfter ? 'degraded' : rec.health;
    }
    rec.healthDetail = status;
    await this.set(rec, next, status);
  }

  /** Sets the health directly (e.g. 'unknown' when a plugin stops), emitting on change. */
  async set(rec: PluginRecord, next: HealthState, detail?: HealthStatus): Promise<void> {
    if (next === 'unknown') this.failures.set(rec, 0);
    const from = rec.health;
    if (from === next) return;
    rec.health = next;
    if (this.registry.getVersion(rec.id, rec.version) !== rec) return;
    this.logger.info({ plugin_id: rec.id, version: rec.version, from, to: next }, `health ${from} → ${next}`);
    await this.events.emit('plugin.health_changed', { id: rec.id, version: rec.version, from, to: next, detail });
  }
}
