// A middleware plugin on a route: `onRequest` on the way in (an answer short-circuits: the handler
// and the middleware after it do not run), `onResponse` on the way out (may replace the response).
// Only the halves the plugin implements are in the step; failures pass through untouched.

import type { Host } from '../../host/types.js';
import type { PluginResponse } from '../../sdk/types.js';
import { checkResponse } from '../response.js';
import { discardBody } from '../stream-response.js';
import { isFailure, type Outcome, type RequestContext, type Step } from './context.js';

export interface MiddlewareSpec {
  id: string;
  onRequest: boolean;
  onResponse: boolean;
}

export function middlewareStep(host: Host, mw: MiddlewareSpec, maxResponseBytes: number): Step {
  const id = mw.id;
  /** A middleware's answer (undefined: it did not answer). */
  const answer = (ctx: RequestContext, r: PluginResponse | undefined | null): Outcome | undefined => {
    if (r === undefined || r === null) return undefined;
    if (ctx.res !== undefined) discardBody(ctx.res, r);
    const wire = checkResponse(id, r, maxResponseBytes);
    ctx.res = r;
    return wire;
  };
  const step: { -readonly [K in keyof Step]: Step[K] } = { name: `middleware:${id}` };
  if (mw.onRequest) {
    step.enter = (ctx) => host.invoke(id, 'onRequest', [ctx.preq]);
    step.entered = answer;
  }
  if (mw.onResponse) {
    step.leave = (ctx) => (isFailure(ctx.outcome) ? undefined : host.invoke(id, 'onResponse', [ctx.preq, ctx.res]));
    step.left = (ctx, r: PluginResponse | undefined) => {
      const o = answer(ctx, r);
      if (o) ctx.outcome = o;
    };
  }
  return step;
}
