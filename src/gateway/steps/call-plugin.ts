// The route's handler: bulkhead → deadline → handleRequest, the answer checked (checkResponse; its
// JSON body is serialized by the serialize step) and the breaker told how it went. Always the last
// step of a route's array, right after the circuit-breaker step.

import type { Logger } from 'pino';
import type { Host } from '../../host/types.js';
import { BulkheadRejectedError } from '../../resilience/bulkhead.js';
import type { CallOptions } from '../../runtimes/types.js';
import type { PluginResponse } from '../../sdk/types.js';
import type { PluginGuard } from '../core.js';
import { countsAsPluginFailure, failureFromCall, refuse, type HttpFailure } from '../http-errors.js';
import type { GatewayMetrics } from '../metrics.js';
import { discardBody } from '../stream-response.js';
import { checkResponse, type WireResponse } from '../response.js';
import { reasonOf } from '../../errors.js';
import type { Outcome, RequestContext, Step } from './context.js';
import { beginCall, callAnswered, callFailed, callTimedOut } from './plugin-call.js';
import { isServerError } from '../../host/traffic.js';

export interface CallDeps {
  host: Host;
  metrics: GatewayMetrics;
  logger: Logger;
  maxResponseBytes: number;
}

export function callPluginStep(deps: CallDeps, id: string, guard: PluginGuard, timeoutMs: number): Step {
  const { host, maxResponseBytes } = deps;
  return {
    name: 'call',
    enter(ctx: RequestContext): unknown {
      // The deadline starts now: time waiting in the bulkhead's queue counts.
      const options: CallOptions = { deadline: Date.now() + timeoutMs, callerDeadline: true };
      ctx.options = options;
      const slot = guard.bulkhead.acquire(); // full with a full queue: BulkheadRejectedError, to enterFailed
      if (slot === true) {
        const r = beginCall(host, ctx, id, 'handleRequest', [ctx.preq], options, timeoutMs);
        options.servedBy = ctx.callRec?.version;
        return r;
      }
      // Queued: the call begins when a slot passes to it, with the runtime keeping the deadline.
      options.callerDeadline = false;
      return slot.then(() => {
        const r = host.begin(id, 'handleRequest', [ctx.preq], options, ctx);
        options.servedBy = ctx.callRec?.version;
        return r;
      });
    },
    entered(ctx: RequestContext, r: unknown): Outcome {
      guard.bulkhead.release();
      callAnswered(host, ctx, isServerError(r));
      let wire: Outcome;
      try {
        wire = checkResponse(id, r, maxResponseBytes);
      } catch (err) {
        guard.breaker.failure();
        discardBody(r);
        return failureFromCall(err);
      }
      guard.breaker.success();
      ctx.res = r as PluginResponse;
      if ((wire as { stream?: unknown }).stream) {
        (wire as WireResponse).onStreamError = (err: unknown) => deps.logger.warn({ plugin_id: id, request_id: ctx.preq.id, err: { message: reasonOf(err) } }, 'event stream failed after it started');
      }
      return wire;
    },
    enterFailed(ctx: RequestContext, thrown: unknown): HttpFailure {
      if (thrown instanceof BulkheadRejectedError) {
        guard.breaker.release();
        deps.metrics.bulkheadRejected.labels(id).inc();
        return refuse('PLW_ERR_BULKHEAD_FULL', { id, limit: guard.bulkhead.settings.maxConcurrent }, { 'retry-after': '1' });
      }
      guard.bulkhead.release();
      const err = callFailed(host, ctx, 'handleRequest', thrown);
      const fl = failureFromCall(err);
      if (countsAsPluginFailure(fl.code, fl.status)) guard.breaker.failure();
      else guard.breaker.release();
      if (fl.status >= 500) {
        deps.logger.warn({ plugin_id: id, request_id: ctx.preq.id, err: { code: fl.code, message: fl.message } }, 'plugin call failed');
        // What a plugin threw may carry anything (a connection string, a query): the error-text step keeps it from the client.
        fl.logged = true;
      }
      return fl;
    },
    // the deadline the dispatcher kept for an in-process call passed; enterFailed gets the error next
    timedOut: (ctx: RequestContext) => callTimedOut(host, ctx, id, 'handleRequest', timeoutMs),
  };
}
