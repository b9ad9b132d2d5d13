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
 * rate-limiter-flexible's memory limiter decides synchronously, then wraps the decision in a
 * promise: on the gateway's hot path that promise (and the await chain around it) cost more than
 * the decision. The same decision, made with the same storage, without the promise. Relies on the
 * limiter's storage (`_memoryStorage.incrby`), present since v2; `syncMemory` says whether it is
 * there, and when an upgrade takes it away, consume() falls back to the public, promise API.
 */
interface MemoryInternals {
  _memoryStorage?: { incrby(key: string, value: number, durationSec: number): RateLimiterRes };
  getKey(key: string): string;
  points: number;
  duration: number;
}

export class EndpointRateLimiter {
  private readonly limiter: RateLimiterAbstract;
  /** The memory limiter whose decisions are made synchronously (undefined for Redis). */
  private readonly memory?: MemoryInternals;

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
      this.limiter = new RateLimiterMemory(base);
      const m = this.limiter as unknown as MemoryInternals;
      if (typeof m._memoryStorage?.incrby === 'function' && typeof m.getKey === 'function') this.memory = m;
    }
  }

  /** Whether decisions are made synchronously (the memory store, when the library still allows it). */
  get syncMemory(): boolean {
    return this.memory !== undefined;
  }

  /** The decision for one request by `key`: at once for the memory store, a promise for Redis. */
  consume(key: string): RateDecision | Promise<RateDecision> {
    const m = this.memory;
    if (m) {
      // RateLimiterMemory.consume() without its promise (no block duration, no execEvenly here).
      const res = m._memoryStorage!.incrby(m.getKey(key), 1, m.duration);
      return this.decision(res.consumedPoints <= m.points, m.points - res.consumedPoints, res.msBeforeNext);
    }
    return this.limiter.consume(key, 1).then(
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
