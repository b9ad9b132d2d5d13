// Serializes the JSON body of the response once, on the way out after every middleware had its
// say (each onResponse may replace the response; most keep the body). A body that cannot be
// serialized, or is too large, is a 502/500 naming the plugin it came from, as if checked at once.

import type { PluginGuard } from '../core.js';
import { serializePending } from '../response.js';
import { isFailure, type RequestContext, type Step } from './context.js';

export function serializeStep(pluginId: string, guard: PluginGuard, maxResponseBytes: number): Step {
  return {
    name: 'serialize',
    leave(ctx: RequestContext): void {
      const out = ctx.outcome;
      if (isFailure(out) || !out.pending) return;
      try {
        ctx.outcome = serializePending(out, maxResponseBytes);
      } catch (err) {
        // The handler's answer was unusable after all: it counts against its breaker, as a bad status would have.
        if (out.pending.pluginId === pluginId) guard.breaker.failure();
        throw err;
      }
    },
  };
}
