// One upstream of a remote plugin: its undici pool (keep-alive connections), what it has in
// flight, its counters, and its state: healthy, unhealthy (active checks) or ejected (outliers).

import { Pool } from 'undici';
import type { ConnectionOptions } from 'node:tls';

export type UpstreamState = 'healthy' | 'unhealthy' | 'ejected';

export interface UpstreamSnapshot {
  url: string;
  state: UpstreamState;
  /** Where it came from: the manifest or a discovery source. */
  source: 'static' | 'etcd';
  inFlight: number;
  requests: number;
  errors: number;
  /** Mean time to the response head, ms. */
  latencyMeanMs: number;
  /** p99 of the last 256 response times, ms. */
  latencyP99Ms: number;
  ejections: number;
  /** Epoch ms until which it is ejected (ejected state only). */
  ejectedUntil?: number;
  consecutiveErrors: number;
  lastCheck?: { at: number; ok: boolean; reason?: string };
}

const RING = 256;
export const CONNECT_TIMEOUT_MS = 5000;

export class Upstream {
  readonly url: string;
  readonly origin: string;
  /** The URL's own path ('' for none), put in front of every proxied path. */
  readonly basePath: string;
  readonly pool: Pool;
  inFlight = 0;
  requests = 0;
  errors = 0;
  latencySumMs = 0;
  private readonly latencies = new Float64Array(RING);
  private latencyN = 0;
  ejections = 0;
  /** Ejections in a row without a success between them (the backoff multiplier). */
  ejectStreak = 0;
  ejectedUntil = 0;
  consecutiveErrors = 0;
  /** The active health checks' verdict; true until a check says otherwise. */
  healthy = true;
  checkFailures = 0;
  lastCheck?: { at: number; ok: boolean; reason?: string };
  /** Removed from the set (discovery): takes no new requests, drains. */
  removed = false;

  constructor(
    url: string,
    readonly source: 'static' | 'etcd',
    options: { connections: number; tls?: ConnectionOptions },
  ) {
    const u = new URL(url);
    this.url = url;
    this.origin = u.origin;
    this.basePath = u.pathname === '/' ? '' : u.pathname.replace(/\/+$/, '');
    this.pool = new Pool(this.origin, {
      connections: options.connections,
      pipelining: 1,
      keepAliveTimeout: 30_000,
      // a proxied download may pause; the route's deadline bounds the head, the idle timeout the body
      headersTimeout: 0,
      bodyTimeout: 0,
      // Envoy's default connect_timeout; a deadline shorter than it aborts the attempt earlier
      connect: { timeout: CONNECT_TIMEOUT_MS, ...(options.tls ?? {}) },
    });
  }

  available(now: number): boolean {
    return this.healthy && !this.removed && this.ejectedUntil <= now;
  }

  state(now: number): UpstreamState {
    if (this.ejectedUntil > now) return 'ejected';
    return this.healthy ? 'healthy' : 'unhealthy';
  }

  observe(ms: number): void {
    this.latencySumMs += ms;
    this.latencies[this.latencyN++ % RING] = ms;
  }

  p99(): number {
    const n = Math.min(this.latencyN, RING);
    if (n === 0) return 0;
    const sorted = Array.from(this.latencies.subarray(0, n)).sort((a, b) => a - b);
    return sorted[Math.min(n - 1, Math.floor(n * 0.99))]!;
  }

  snapshot(now: number): UpstreamSnapshot {
    const s: UpstreamSnapshot = {
      url: this.url,
      state: this.state(now),
      source: this.source,
      inFlight: this.inFlight,
      requests: this.requests,
      errors: this.errors,
      latencyMeanMs: this.requests ? Math.round((this.latencySumMs / this.requests) * 1000) / 1000 : 0,
      latencyP99Ms: Math.round(this.p99() * 1000) / 1000,
      ejections: this.ejections,
      consecutiveErrors: this.consecutiveErrors,
    };
    if (this.ejectedUntil > now) s.ejectedUntil = this.ejectedUntil;
    if (this.lastCheck) s.lastCheck = this.lastCheck;
    return s;
  }

  /** Waits for what is in flight, then closes the connections. */
  close(): Promise<void> {
    return this.pool.close().catch(() => undefined);
  }

  /** Closes now, failing what is in flight. */
  destroy(): Promise<void> {
    return this.pool.destroy().catch(() => undefined);
  }
}
