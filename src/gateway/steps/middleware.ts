// A middleware plugin on a route: `onRequest` on the way in (an answer short-circuits: the handler
// and the middleware after it do not run), `onResponse` on the way out (may replace the response).
// Only the halves the plugin implements are in the step; failures pass through untouched.

import type { Host } from '../../host/types.js';
import type { PluginResponse } from '../../sdk/types.js';
import { failureFromCall } from '../http-errors.js';
import { checkResponse } from '../response.js';
import { discardBody } from '../stream-response.js';
import { isFailure, type Outcome, type RequestContext, type Step } from './context.js';
import { beginCall, callAnswered, callFailed, callTimedOut, HOOK_CALL } from './plugin-call.js';

export interface MiddlewareSpec {
  id: string;
  onRequest: boolean;
  onResponse: boolean;
  /** Each hook call's deadline. */
  timeoutMs: number;
}

export function middlewareStep(host: Host, mw: MiddlewareSpec, maxResponseBytes: number): Step {
  const id = mw.id;
  const timeoutMs = mw.timeoutMs;
  /** A middleware's answer (undefined: it did not answer). */
  const answer = (ctx: RequestContext, r: PluginResponse | undefined | null): Outcome | undefined => {
    if (r === undefined || r === null) return undefined;
    if (ctx.res !== undefined) discardBody(ctx.res, r);
    const prev = ctx.res;
    const wire = checkResponse(id, r, maxResponseBytes, prev, prev !== undefined && ctx.outcome !== undefined && !isFailure(ctx.outcome) ? ctx.outcome : undefined);
    ctx.res = r;
    return wire;
  };
  const step: { -readonly [K in keyof Step]: Step[K] } = {
    name: `middleware:${id}`,
    timedOut: (ctx) => callTimedOut(host, ctx, id, ctx.pendingLeave ? 'onResponse' : 'onRequest', timeoutMs),
  };
  if (mw.onRequest) {
    step.enter = (ctx) => beginCall(host, ctx, id, 'onRequest', [ctx.preq], HOOK_CALL, timeoutMs);
    step.entered = (ctx, r: PluginResponse | undefined) => {
      callAnswered(host, ctx, false);
      return answer(ctx, r);
    };
    step.enterFailed = (ctx, err) => failureFromCall(callFailed(host, ctx, 'onRequest', err));
  }
  if (mw.onResponse) {
    step.leave = (ctx) => (isFailure(ctx.outcome) ? undefined : beginCall(host, ctx, id, 'onResponse', [ctx.preq, ctx.res], HOOK_CALL, timeoutMs));
    step.left = (ctx, r: PluginResponse | undefined) => {
      callAnswered(host, ctx, false);
      const o = answer(ctx, r);
      if (o) ctx.outcome = o;
    };
    step.leaveFailed = (ctx, err) => callFailed(host, ctx, 'onResponse', err);
  }
  return step;
}
