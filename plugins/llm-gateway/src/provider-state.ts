// What the gateway knows of each configured provider between requests: EWMA of the time to first
// token, calls in flight, Retry-After cooldown and a circuit breaker (an open provider is skipped).
import type { ProviderCandidate } from 'plugway/sdk';
import type { ProviderEntry, Settings } from './config.js';

const ALPHA = 0.3;

export class ProviderState {
  ttftMs: number | undefined = undefined;
  inFlight = 0;
  cooldownUntil = 0;
  /** Consecutive failures; the circuit opens at settings.breaker.failures. */
  failures = 0;
  openUntil = 0;
  /** Half-open: one trial call is let through after openUntil. */
  private trial = false;

  constructor(
    readonly entry: ProviderEntry,
    private readonly breaker: Settings['breaker'],
  ) {}

  get name(): string {
    return this.entry.target.name;
  }

  serves(model: string): boolean {
    const m = this.entry.target.models;
    return m.length === 0 || m.includes(model);
  }

  /** Why it cannot be tried now (cooldown, open circuit), or undefined. */
  unavailable(now: number): 'cooldown' | 'circuit_open' | undefined {
    if (now < this.cooldownUntil) return 'cooldown';
    if (this.openUntil > 0) {
      if (now < this.openUntil || this.trial) return 'circuit_open';
    }
    return undefined;
  }

  /** Marks the start of a call (a half-open circuit lets this one through and no other). */
  begin(now: number): void {
    this.inFlight++;
    if (this.openUntil > 0 && now >= this.openUntil) this.trial = true;
  }

  end(): void {
    this.inFlight--;
  }

  observeTtft(ms: number): void {
    this.ttftMs = this.ttftMs === undefined ? ms : ALPHA * ms + (1 - ALPHA) * this.ttftMs;
  }

  succeeded(): void {
    this.failures = 0;
    this.openUntil = 0;
    this.trial = false;
  }

  /** A trigger failure: counts toward the breaker; Retry-After (or a 429 without one) puts it on cooldown. */
  failed(now: number, cooldownMs: number | undefined): void {
    if (cooldownMs !== undefined) this.cooldownUntil = Math.max(this.cooldownUntil, now + cooldownMs);
    this.failures++;
    if (this.trial || this.failures >= this.breaker.failures) {
      this.openUntil = now + this.breaker.openMs;
      this.trial = false;
    }
  }

  /** A call that ended for a reason that says nothing about the provider (the client left, a 400). */
  neutral(): void {
    this.trial = false;
  }

  circuit(now: number): 'closed' | 'open' | 'half_open' {
    if (this.openUntil === 0) return 'closed';
    return now < this.openUntil ? 'open' : 'half_open';
  }

  candidate(now: number): ProviderCandidate {
    const c: ProviderCandidate = {
      id: this.name,
      models: this.entry.target.models,
      health: this.circuit(now) === 'closed' ? 'healthy' : 'degraded',
      type: this.entry.target.type,
      weight: this.entry.weight,
      priority: this.entry.priority,
      order: this.entry.order,
      inFlight: this.inFlight,
    };
    if (this.ttftMs !== undefined) c.ttftMs = this.ttftMs;
    if (this.entry.price) c.price = this.entry.price;
    return c;
  }
}
