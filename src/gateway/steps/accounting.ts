// Accounting: the route's metrics (requests, duration, error codes; the plugin's live rate and
// latency for GET /admin/stats) and the request's one log line, written last on the way out,
// under the version that served (a canary's or the active one).

import { performance } from 'node:perf_hooks';
import type { RequestLine } from '../logging.js';
import type { RouteMetrics } from '../metrics.js';
import { isFailure, type RequestContext, type Step } from './context.js';

export interface AccountingDeps {
  /** A plugin version's request lines (logging.ts requestLines). */
  lineOf(pluginId: string | null, version: string | null): RequestLine;
  /** The active version of a plugin (for calls the host did not route, e.g. refusals). */
  activeVersion(pluginId: string): string | null;
}

/** Rounded to µs, as the log field `response_time_ms` has always been. */
export function elapsedMs(start: number): number {
  return Math.round((performance.now() - start) * 1000) / 1000;
}

export function accountingStep(deps: AccountingDeps, pluginId: string, metrics: RouteMetrics): Step {
  // Versions come and go with reloads: a few lines kept, the map cleared when it grows.
  const lines = new Map<string | null, RequestLine>();
  const lineFor = (version: string | null): RequestLine => {
    let line = lines.get(version);
    if (!line) {
      if (lines.size >= 8) lines.clear();
      line = deps.lineOf(pluginId, version);
      lines.set(version, line);
    }
    return line;
  };
  return {
    name: 'accounting',
    leave(ctx: RequestContext): void {
      const out = ctx.outcome;
      if (isFailure(out)) metrics.error(out.code);
      const end = performance.now();
      const ms = end - ctx.start;
      metrics.observe(out.status, ms / 1000, end);
      const version = ctx.options?.servedBy ?? deps.activeVersion(pluginId);
      const p = ctx.preq;
      lineFor(version).write(p.id, p.method, p.path, p.userId ?? null, Math.round(ms * 1000) / 1000, out.status);
    },
  };
}
