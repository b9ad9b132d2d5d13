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

export class EndpointRateLimiter {
  private readonly limiter: RateLimiterAbstract;

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
    }
  }

  async consume(key: string): Promise<RateDecision> {
    try {
      const res = await this.limiter.consume(key, 1);
      return this.decision(true, res);
    } catch (err) {
      // A refused consume rejects with a RateLimiterRes, not an Error.
      if (err instanceof RateLimiterRes) return this.decision(false, err);
      throw err;
    }
  }

  private decision(allowed: boolean, res: RateLimiterRes): RateDecision {
    const resetSec = Math.max(0, Math.ceil(res.msBeforeNext / 1000));
    return {
      allowed,
      limit: this.spec.points,
      remaining: Math.max(0, res.remainingPoints),
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
