// The endpoint's rate limit (`rate_limit: 100/min`), keyed by user when authenticated, else by
// client IP: ratelimit-* headers on every answer, 429 PLW_ERR_RATE_LIMITED with retry-after when
// spent. A failing store lets the request through (logged). In the array only for limited routes.

import type { Logger } from 'pino';
import { reasonOf } from '../../errors.js';
import type { EndpointRateLimiter, RateDecision } from '../../resilience/rate-limit.js';
import { refuse } from '../http-errors.js';
import type { RouteMetrics } from '../metrics.js';
import type { Maybe, Outcome, RequestContext, Step } from './context.js';

export interface RateLimitDeps {
  logger: Logger;
  /** The client's address as the gateway trusts it (X-Forwarded-For behind a trusted proxy). */
  clientIp(ctx: RequestContext): string;
}

export function rateLimitStep(deps: RateLimitDeps, pluginId: string, limiter: EndpointRateLimiter, metrics: RouteMetrics): Step {
  const apply = (ctx: RequestContext, d: RateDecision): Outcome | undefined => {
    ctx.headers['ratelimit-limit'] = d.limit;
    ctx.headers['ratelimit-remaining'] = d.remaining;
    ctx.headers['ratelimit-reset'] = d.resetSec;
    if (d.allowed) return undefined;
    metrics.rateLimited();
    return refuse('PLW_ERR_RATE_LIMITED', { limit: limiter.spec.raw, retryAfter: d.retryAfterSec }, { 'retry-after': String(d.retryAfterSec) });
  };
  // The store failed and its insurance too: let the request through rather than fail it.
  const storeFailed = (err: unknown): undefined => {
    deps.logger.warn({ plugin_id: pluginId, err: { message: reasonOf(err) } }, 'rate limit store failed; request let through');
    return undefined;
  };
  return {
    name: 'rate-limit',
    enter(ctx: RequestContext): Maybe<RateDecision> {
      return limiter.consume(ctx.preq.userId !== undefined ? `u:${ctx.preq.userId}` : `ip:${deps.clientIp(ctx)}`);
    },
    entered: apply,
    enterFailed: (_ctx: RequestContext, err: unknown) => storeFailed(err),
  };
}
