// A per-plugin circuit breaker with the seed's settings (failure threshold, open timeout,
// half-open limit). Hand-written because cockatiel 3 admits exactly one half-open trial and
// queues the rest, which cannot express `half_open_limit`; the state check is synchronous so
// a closed breaker costs nothing on the hot path.

import type { CircuitBreakerSettings } from '../host/config-types.js';

export type CircuitState = 'closed' | 'open' | 'half_open';

export const CIRCUIT_STATE_VALUE: Record<CircuitState, number> = { closed: 0, open: 1, half_open: 2 };

export interface CircuitChange {
  from: CircuitState;
  to: CircuitState;
}

export class CircuitBreaker {
  private stateValue: CircuitState = 'closed';
  private failures = 0;
  private openedAt = 0;
  /** Trials admitted in the current half-open phase. */
  private trials = 0;
  /** Trials that succeeded in the current half-open phase. */
  private trialSuccesses = 0;

  constructor(
    readonly settings: CircuitBreakerSettings,
    private readonly onChange?: (change: CircuitChange) => void,
    private readonly now: () => number = Date.now,
  ) {}

  get state(): CircuitState {
    if (this.stateValue === 'open' && this.now() - this.openedAt >= this.settings.openTimeoutMs) {
      this.transition('half_open');
    }
    return this.stateValue;
  }

  /** Seconds until an open circuit admits a trial (at least 1). */
  retryAfterSec(): number {
    const left = this.openedAt + this.settings.openTimeoutMs - this.now();
    return Math.max(1, Math.ceil(left / 1000));
  }

  /**
   * Whether a call may go through now. A true answer must be followed by exactly one
   * `success()` or `failure()`.
   */
  tryAcquire(): boolean {
    const s = this.stateValue === 'closed' ? 'closed' : this.state;
    if (s === 'closed') return true;
    if (s === 'open') return false;
    if (this.trials >= Math.max(1, this.settings.halfOpenLimit)) return false;
    this.trials++;
    return true;
  }

  success(): void {
    if (this.stateValue === 'closed') {
      this.failures = 0;
      return;
    }
    if (this.stateValue === 'half_open') {
      this.trialSuccesses++;
      if (this.trialSuccesses >= Math.max(1, this.settings.halfOpenLimit)) this.transition('closed');
    }
  }

  failure(): void {
    if (this.stateValue === 'closed') {
      this.failures++;
      if (this.failures >= this.settings.failureThreshold) this.transition('open');
      return;
    }
    if (this.stateValue === 'half_open') this.transition('open');
  }

  /** Gives back a half-open trial slot without a verdict (the call never reached the plugin). */
  release(): void {
    if (this.stateValue === 'half_open' && this.trials > 0) this.trials--;
  }

  /** Back to closed (e.g. after a reload brought a new version). */
  reset(): void {
    if (this.stateValue !== 'closed') this.transition('closed');
    this.failures = 0;
  }

  private transition(to: CircuitState): void {
    const from = this.stateValue;
    if (from === to) return;
    this.stateValue = to;
    this.failures = 0;
    this.trials = 0;
    this.trialSuccesses = 0;
    if (to === 'open') this.openedAt = this.now();
    this.onChange?.({ from, to });
  }
}
