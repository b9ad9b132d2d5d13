// The plugin's circuit breaker in front of its handler: while open, 503 PLW_ERR_CIRCUIT_OPEN with
// retry-after; the call step reports how the call went (success, failure, or neither).

import { refuse } from '../http-errors.js';
import type { PluginGuard } from '../core.js';
import type { Outcome, Step } from './context.js';

export function circuitBreakerStep(id: string, guard: PluginGuard): Step {
  return {
    name: 'circuit-breaker',
    enter(): Outcome | undefined {
      if (guard.breaker.tryAcquire()) return undefined;
      const retryAfter = guard.breaker.retryAfterSec();
      return refuse('PLW_ERR_CIRCUIT_OPEN', { id, retryAfter }, { 'retry-after': String(retryAfter) });
    },
  };
}
