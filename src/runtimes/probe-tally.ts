// Calls the host makes for itself (health checks, metrics) are probes, not requests: a runtime
// tallies them here and leaves them out of the stats it reports (request_count, error rate, mean time).

import type { RuntimeStats } from './types.js';

export class ProbeTally {
  private calls = 0;
  private errors = 0;
  private timeouts = 0;
  private totalMs = 0;

  /** Tallies one probe call as the runtime counted it: started now, settled with `p`. */
  track<T>(p: Promise<T>): Promise<T> {
    const t0 = performance.now();
    const done = (failed: boolean, timedOut: boolean) => {
      this.calls++;
      if (failed) this.errors++;
      if (timedOut) this.timeouts++;
      this.totalMs += performance.now() - t0;
    };
    return p.then(
      (v) => (done(false, false), v),
      (err: unknown) => {
        done(true, (err as { code?: string } | null)?.code === 'PLW_ERR_PLUGIN_TIMEOUT');
        throw err;
      },
    );
  }

  /** `stats` without the probes (the times are the probe's own readings, so never below zero). */
  subtract(stats: RuntimeStats): RuntimeStats {
    if (this.calls === 0) return stats;
    return {
      ...stats,
      calls: Math.max(0, stats.calls - this.calls),
      errors: Math.max(0, stats.errors - this.errors),
      timeouts: Math.max(0, stats.timeouts - this.timeouts),
      totalMs: Math.max(0, stats.totalMs - this.totalMs),
    };
  }
}
