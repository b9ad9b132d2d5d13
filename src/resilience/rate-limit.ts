// Rate limits over rate-limiter-flexible: one limiter per endpoint, in memory or in Redis
// (ioredis) so several gateways share one budget. Redis trouble falls back to memory.

import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Redis } from 'ioredis';

export interface RateLimitSpec {
  points: number;
  durationSec: number;
  raw: string;
}

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the window resets. */
  resetSec: number;
  /** Seconds to wait (only when refused). */
  retryAfterSec: number;
}

export interface RateLimiterFactoryOptions {
  store: 'memory' | 'redis';
  keyPrefix: string;
  redis?: Redis;
}

/**
 * Fixed windows per key in memory: the decisions rate-limiter-flexible's RateLimiterMemory makes (a
 * key's window opens at its first point and lasts `durationSec`; points past `points` are refused
 * until it ends), made synchronously. The library's public consume() answers every decision with a
 * promise: on the gateway's hot path that costs ~0.6 µs a request (two promise turns) for a
 * decision worth ~0.1 µs (measured 2026-12-07, `plugway serve` 0 middleware + rate limit). The
 * library stays the store for Redis, and its memory limiter the Redis store's insurance;
 * rate-limit.test.ts checks, decision by decision, that this one decides as the installed library does.
 */
export class MemoryWindows {
  private readonly windows = new Map<string, { points: number; endsAt: number }>();
  private sweepAt = 0;

  constructor(
    readonly points: number,
    readonly durationSec: number,
  ) {}

  /** Takes one point of `key`'s window: how many it has used, and the ms before the window ends. */
  consume(key: string, now = Date.now()): { consumed: number; msBeforeNext: number } {
    // Windows that ended are dropped once a window's length (a pass over the keys, then none for that long).
    if (now >= this.sweepAt) this.sweep(now);
    let w = this.windows.get(key);
    if (w === undefined || w.endsAt <= now) {
      w = { points: 0, endsAt: now + this.durationSec * 1000 };
      this.windows.set(key, w);
    }
    w.points++;
    return { consumed: w.points, msBeforeNext: w.endsAt - now };
  }

  /** Keys with a window open (for tests and the memory they hold). */
  get size(): number {
    return this.windows.size;
  }

  private sweep(now: number): void {
    for (const [k, w] of this.windows) if (w.endsAt <= now) this.windows.delete(k);
    this.sweepAt = now + this.durationSec * 1000;
  }
}

export class EndpointRateLimiter {
  /** The library's limiter (Redis, with a memory insurance) when the store is Redis. */
  private readonly limiter?: RateLimiterAbstract;
  /** Our own windows when the store is memory. */
  private readonly memory?: MemoryWindows;

  constructor(
    readonly spec: RateLimitSpec,
    name: string,
    opts: RateLimiterFactoryOptions,
  ) {
    const keyPrefix = `${opts.keyPrefix}:${name}`;
    const base = { points: spec.points, duration: spec.durationSec, keyPrefix };
    if (opts.store === 'redis' && opts.redis) {
      this.limiter = new RateLimiterRedis({
        ...base,
        storeClient: opts.redis,
        rejectIfRedisNotReady: true,
        insuranceLimiter: new RateLimiterMemory(base),
      });
    } else {
      this.memory = new MemoryWindows(spec.points, spec.durationSec);
    }
  }

  /** Whether decisions are made synchronously (the memory store). */
  get syncMemory(): boolean {
    return this.memory !== undefined;
  }

  /** The decision for one request by `key`: at once for the memory store, a promise for Redis. */
  consume(key: string): RateDecision | Promise<RateDecision> {
    const m = this.memory;
    if (m) {
      const res = m.consume(key);
      return this.decision(res.consumed <= m.points, m.points - res.consumed, res.msBeforeNext);
    }
    return this.limiter!.consume(key, 1).then(
      (res) => this.decision(true, res.remainingPoints, res.msBeforeNext),
      (err: unknown) => {
        // A refused consume rejects with a RateLimiterRes, not an Error.
        if (err instanceof RateLimiterRes) return this.decision(false, err.remainingPoints, err.msBeforeNext);
        throw err;
      },
    );
  }

  private decision(allowed: boolean, remaining: number, msBeforeNext: number): RateDecision {
    const resetSec = Math.max(0, Math.ceil(msBeforeNext / 1000));
    return {
      allowed,
      limit: this.spec.points,
      remaining: Math.max(0, remaining),
      resetSec,
      retryAfterSec: Math.max(1, resetSec),
    };
  }
}

/** Parses "N/s", "N/sec", "N/min", "N/h" (also "N/second", "N/minute", "N/hour"). */
export function parseRateLimit(raw: string): RateLimitSpec | undefined {
  const m = /^\s*(\d+)\s*\/\s*(s|sec|second|m|min|minute|h|hr|hour)\s*$/i.exec(raw);
  if (!m) return undefined;
  const unit = m[2]!.toLowerCase();
  const durationSec = unit.startsWith('s') ? 1 : unit.startsWith('h') ? 3600 : 60;
  const points = Number(m[1]);
  if (!Number.isSafeInteger(points) || points <= 0) return undefined;
  return { points, durationSec, raw };
}
