// A middleware plugin on a route: `onRequest` on the way in (an answer short-circuits: the handler
// and the middleware after it do not run), `onResponse` on the way out (may replace the response).
// Only the halves the plugin implements are in the step; failures pass through untouched.

import type { Host } from '../../host/types.js';
import type { PluginResponse } from '../../sdk/types.js';
import { toWireResponse } from '../response.js';
import { isFailure, type Maybe, type Outcome, type RequestContext, type Step } from './context.js';

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
    const wire = toWireResponse(id, r, maxResponseBytes);
    ctx.res = r;
    return wire;
  };
  const step: { name: string; enter?: Step['enter']; leave?: Step['leave'] } = { name: `middleware:${id}` };
  if (mw.onRequest) {
    step.enter = (ctx): Maybe<Outcome | undefined> => {
      const r = host.invoke<PluginResponse | undefined>(id, 'onRequest', [ctx.preq]);
      return r instanceof Promise ? r.then((v) => answer(ctx, v)) : answer(ctx, r);
    };
  }
  if (mw.onResponse) {
    step.leave = (ctx): Maybe<void> => {
      if (isFailure(ctx.outcome)) return;
      const r = host.invoke<PluginResponse | undefined>(id, 'onResponse', [ctx.preq, ctx.res]);
      if (r instanceof Promise) {
        return r.then((v) => {
          const o = answer(ctx, v);
          if (o) ctx.outcome = o;
        });
      }
      const o = answer(ctx, r);
      if (o) ctx.outcome = o;
    };
  }
  return step;
}
