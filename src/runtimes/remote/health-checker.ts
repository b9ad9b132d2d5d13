// Active health checks: every upstream is asked GET <health_check.endpoint> each interval; a
// 2xx or 3xx within the timeout is healthy. Two failures in a row make it unhealthy, one
// success healthy again, so one lost packet does not take an upstream out.

import { reasonOf } from '../../errors.js';
import type { Upstream } from './upstream.js';

export const UNHEALTHY_AFTER = 2;

export interface HealthCheckSpec {
  endpoint: string;
  intervalMs: number;
  timeoutMs: number;
}

export class HealthChecker {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly spec: HealthCheckSpec,
    private readonly upstreams: () => readonly Upstream[],
    private readonly onChange: (up: Upstream, healthy: boolean, reason?: string) => void,
  ) {}

  start(): void {
    if (this.timer || !(this.spec.intervalMs > 0)) return;
    this.timer = setInterval(() => void this.round(), this.spec.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One check of every upstream (an overlapping call shares the round in progress). */
  round(): Promise<void> {
    this.running ??= Promise.all(this.upstreams().map((u) => this.check(u))).then(
      () => {
        this.running = undefined;
      },
      () => {
        this.running = undefined;
      },
    );
    return this.running;
  }

  async check(up: Upstream): Promise<boolean> {
    const { endpoint, timeoutMs } = this.spec;
    let ok = false;
    let reason: string | undefined;
    try {
      const res = await up.pool.request({
        method: 'GET',
        path: up.basePath + endpoint,
        headers: { 'user-agent': 'plugway-health-check' },
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
        signal: AbortSignal.timeout(timeoutMs),
      });
      await res.body.dump();
      ok = res.statusCode >= 200 && res.statusCode < 400;
      if (!ok) reason = `GET ${endpoint} answered ${res.statusCode}`;
    } catch (err) {
      reason = (err as Error).name === 'TimeoutError' ? `GET ${endpoint} took over ${timeoutMs} ms` : reasonOf(err);
    }
    // an upstream's first check decides at once: one that is down at start never takes traffic
    const first = up.lastCheck === undefined;
    up.lastCheck = reason === undefined ? { at: Date.now(), ok } : { at: Date.now(), ok, reason };
    if (ok) {
      up.checkFailures = 0;
      if (!up.healthy) {
        up.healthy = true;
        this.onChange(up, true);
      }
    } else {
      up.checkFailures++;
      if (up.healthy && (first || up.checkFailures >= UNHEALTHY_AFTER)) {
        up.healthy = false;
        this.onChange(up, false, reason);
      }
    }
    return ok;
  }
}
