// A canary release: a second version beside the active one that receives `percent` of the calls
// (sticky by user id hash, or per request), watched by the rollback rules, then promoted or aborted.

import { PlugwayError } from '../../errors.js';
import type { PluginRecord } from '../registry.js';
import type { RollbackWatch } from './rollback-watch.js';
import type { CallCounters, Traffic } from '../traffic.js';

export interface CanaryRequest {
  /** A kept version (version string or hash) or the version on disk. */
  version: string;
  percent: number;
  stickyBy: 'user' | 'none';
}

export interface CanaryState {
  id: string;
  rec: PluginRecord;
  hash: string;
  percent: number;
  stickyBy: 'user' | 'none';
  startedAt: string;
  /** The active instance and its counters when the canary started (metrics side by side count from there). */
  stable: PluginRecord;
  stableBaseline: CallCounters;
  watch: RollbackWatch;
}

/** Checks an admin or CLI canary body; throws PLW_ERR_CANARY_INVALID saying what to send. */
export function parseCanaryRequest(id: string, body: unknown): CanaryRequest {
  const b = (body ?? {}) as Record<string, unknown>;
  const version = b.version;
  if (typeof version !== 'string' || !version) throw new PlugwayError('PLW_ERR_CANARY_INVALID', { id, reason: 'send {"version": "<kept version, hash or the version on disk>", "percent": 1..99}' });
  const percent = typeof b.percent === 'string' ? Number(b.percent) : b.percent;
  if (typeof percent !== 'number' || !Number.isFinite(percent) || percent <= 0 || percent >= 100) {
    throw new PlugwayError('PLW_ERR_CANARY_INVALID', { id, reason: `percent must be a number above 0 and below 100 (got ${JSON.stringify(b.percent)}); use promote for 100` });
  }
  const sticky = b.sticky_by ?? b.stickyBy ?? 'none';
  if (sticky !== 'user' && sticky !== 'none') throw new PlugwayError('PLW_ERR_CANARY_INVALID', { id, reason: `sticky_by must be "user" or "none" (got ${JSON.stringify(sticky)})` });
  return { version, percent, stickyBy: sticky };
}

function delta(now: CallCounters, base: CallCounters) {
  const calls = now.calls - base.calls;
  const errors = now.errors - base.errors;
  const totalMs = now.totalMs - base.totalMs;
  return { calls, errors, error_rate: calls ? errors / calls : 0, mean_ms: calls ? totalMs / calls : 0, in_flight: now.inFlight };
}

/** Per-version figures side by side, counted since the canary started. */
export function canaryStatus(c: CanaryState, traffic: Traffic) {
  const stableNow = traffic.countersOf(c.stable);
  const canaryCounts = c.watch.counts();
  const canaryNow = traffic.countersOf(c.rec);
  return {
    id: c.id,
    percent: c.percent,
    sticky_by: c.stickyBy,
    started_at: c.startedAt,
    stable: { version: c.stable.version, state: c.stable.state, ...delta(stableNow, c.stableBaseline) },
    canary: {
      version: c.rec.version,
      hash: c.hash,
      state: c.rec.state,
      calls: canaryCounts.calls,
      errors: canaryCounts.errors,
      error_rate: canaryCounts.calls ? canaryCounts.errors / canaryCounts.calls : 0,
      mean_ms: canaryNow.calls ? canaryNow.totalMs / canaryNow.calls : 0,
      in_flight: canaryNow.inFlight,
    },
  };
}
