// A plugin call made by a step (the handler, a middleware hook), counted once by the host
// (host.begin / host.end, host/traffic.ts) with no continuation of the host's on it. An in-process
// plugin's own promise comes back as it is (CallOptions.callerDeadline) and the dispatcher times it
// out with the request's entry in the shared deadline queue (ctx.guard): one promise per async
// plugin call, the plugin's, instead of three wrapped around it.

import type { Host } from '../../host/types.js';
import type { CallOptions } from '../../runtimes/types.js';
import type { RequestContext } from './context.js';

/** A middleware hook's options: the dispatcher keeps the deadline (shared, never written to). */
export const HOOK_CALL: CallOptions = Object.freeze({ callerDeadline: true });

/**
 * Begins `method` on plugin `id` for a step; the step must end it with callAnswered, callFailed or
 * callTimedOut (the dispatcher routes a passed deadline to the step's timedOut). `options` should
 * carry callerDeadline (an in-process plugin's own promise then comes back, guarded by the dispatcher).
 * Calls are timed with ctx.now, the clock the dispatcher reads once per resumption.
 */
export function beginCall(host: Host, ctx: RequestContext, id: string, method: string, payload: readonly unknown[], options: CallOptions, timeoutMs: number): unknown {
  ctx.callRaw = false;
  const r = host.begin(id, method, payload, options, ctx, ctx.now);
  if (r instanceof Promise && ctx.callRec?.runtime?.timeoutError) {
    // the in-process runtime left the deadline to us: its promise is the plugin's own
    ctx.callRaw = true;
    ctx.guard(timeoutMs);
  }
  return r;
}

/** The call answered: counted (a 5xx answer to handleRequest counts as an error: `failed`). */
export function callAnswered(host: Host, ctx: RequestContext, failed: boolean): void {
  ctx.callRaw = false;
  host.end(ctx, failed, ctx.now);
}

/** The call threw or rejected: counted, and the error as the runtime words it (a plugin's own rejection wrapped as its throw). */
export function callFailed(host: Host, ctx: RequestContext, method: string, err: unknown): unknown {
  const rt = ctx.callRec?.runtime;
  const e = ctx.callRaw && rt?.thrownError ? rt.thrownError(method, err) : err;
  ctx.callRaw = false;
  host.end(ctx, true);
  return e;
}

/** The dispatcher's deadline for the call passed: counted as failed, the runtime's timeout error. */
export function callTimedOut(host: Host, ctx: RequestContext, id: string, method: string, timeoutMs: number): unknown {
  const rt = ctx.callRec?.runtime;
  const err = rt?.timeoutError ? rt.timeoutError(method, timeoutMs) : new Error(`${id}.${method} timed out after ${timeoutMs} ms`);
  ctx.callRaw = false;
  host.end(ctx, true);
  return err;
}
