// The upstreams of one remote plugin and what decides between them: the balancer, passive
// outlier ejection (consecutive 5xx or connect errors, Envoy-style backoff) and the retry budget.

import type { ConnectionOptions } from 'node:tls';
import type { RemoteSpec } from '../../manifest/remote.js';
import { createBalancer, type Balancer } from './balancer.js';
import { Upstream, type UpstreamSnapshot } from './upstream.js';

export interface UpstreamEvents {
  ejected(up: Upstream, forMs: number): void;
  returned?(up: Upstream): void;
  changed?(added: string[], removed: string[]): void;
}

/**
 * Envoy's retry budget: retries in flight may be at most `budgetPercent` of the requests in flight,
 * but always `minConcurrency`. A dying upstream then cannot turn every request into several.
 */
export class RetryBudget {
  active = 0;
  retrying = 0;
  /** Retries let through, and refused for want of budget, since start. */
  granted = 0;
  exhausted = 0;
  constructor(
    private readonly percent: number,
    private readonly minConcurrency: number,
  ) {}
  tryAcquire(): boolean {
    const cap = Math.max(this.minConcurrency, Math.floor((this.active * this.percent) / 100));
    if (this.retrying >= cap) {
      this.exhausted++;
      return false;
    }
    this.retrying++;
    this.granted++;
    return true;
  }
  release(): void {
    this.retrying--;
  }
}

export class UpstreamSet {
  private list: Upstream[] = [];
  private readonly balancer: Balancer;
  readonly budget: RetryBudget;
  private readonly draining = new Set<Upstream>();

  constructor(
    private readonly spec: RemoteSpec,
    private readonly tls: ConnectionOptions | undefined,
    private readonly events: UpstreamEvents,
  ) {
    this.balancer = createBalancer(spec.balance);
    this.budget = new RetryBudget(spec.retries.budgetPercent, spec.retries.minConcurrency);
  }

  get upstreams(): readonly Upstream[] {
    return this.list;
  }

  /** Replaces the upstreams of `source` with `urls`: new ones get a pool, gone ones drain. */
  replace(urls: readonly string[], source: 'static' | 'etcd'): void {
    const want = new Set(urls.map(normalizeUrl));
    const kept: Upstream[] = [];
    const removed: string[] = [];
    for (const u of this.list) {
      if (u.source !== source || want.has(u.url)) {
        kept.push(u);
        want.delete(u.url);
      } else {
        u.removed = true;
        removed.push(u.url);
        this.draining.add(u);
        // what it has in flight finishes; then its connections close
        void u.close().then(() => this.draining.delete(u));
      }
    }
    const added = [...want];
    for (const url of added) kept.push(new Upstream(url, source, { connections: this.spec.connections, ...(this.tls ? { tls: this.tls } : {}) }));
    this.list = kept;
    this.balancer.reset(kept);
    if (added.length || removed.length) this.events.changed?.(added, removed);
  }

  pick(now: number, key: string | undefined, exclude?: Upstream): Upstream | undefined {
    return this.balancer.pick(now, key, exclude);
  }

  /** The reason nothing can be picked, for the 503's message. */
  whyNone(now: number): string {
    if (this.list.length === 0) return this.spec.discover ? `no instance of ${this.spec.discover.service} is registered` : 'no upstreams are configured';
    const states = this.list.map((u) => u.state(now));
    const ejected = states.filter((s) => s === 'ejected').length;
    const unhealthy = states.filter((s) => s === 'unhealthy').length;
    return `all ${this.list.length} upstreams are down (${ejected} ejected, ${unhealthy} failing health checks)`;
  }

  /** Seconds until the first ejected upstream returns (for Retry-After), at least 1. */
  retryAfterSec(now: number): number {
    let soonest = Infinity;
    for (const u of this.list) if (u.ejectedUntil > now) soonest = Math.min(soonest, u.ejectedUntil - now);
    return Number.isFinite(soonest) ? Math.max(1, Math.ceil(soonest / 1000)) : 5;
  }

  success(up: Upstream): void {
    up.consecutiveErrors = 0;
    if (up.ejectStreak > 0 && up.ejectedUntil <= Date.now()) {
      up.ejectStreak = 0;
      this.events.returned?.(up);
    }
  }

  /** A 5xx or a connect error: enough in a row ejects the upstream for base × streak (capped). */
  failure(up: Upstream): void {
    up.errors++;
    up.consecutiveErrors++;
    const o = this.spec.outlier;
    const now = Date.now();
    if (up.consecutiveErrors < o.consecutiveErrors || up.ejectedUntil > now) return;
    const ejectedNow = this.list.filter((u) => u.ejectedUntil > now).length;
    // Envoy's max_ejection_percent, but one may always go: with two upstreams, 50 % still ejects one.
    if (ejectedNow > 0 && ((ejectedNow + 1) * 100) / this.list.length > o.maxEjectedPercent) return;
    up.ejectStreak++;
    const forMs = Math.min(o.baseEjectionMs * up.ejectStreak, o.maxEjectionMs);
    up.ejectedUntil = now + forMs;
    up.ejections++;
    up.consecutiveErrors = 0;
    this.events.ejected(up, forMs);
  }

  snapshot(): UpstreamSnapshot[] {
    const now = Date.now();
    return this.list.map((u) => u.snapshot(now));
  }

  async close(graceful: boolean): Promise<void> {
    const all = [...this.list, ...this.draining];
    this.list = [];
    this.balancer.reset([]);
    await Promise.all(all.map((u) => (graceful ? u.close() : u.destroy())));
  }
}

/** One spelling per upstream: no trailing slash. */
export function normalizeUrl(url: string): string {
  return url.replace(/\/+$/, '');
}
