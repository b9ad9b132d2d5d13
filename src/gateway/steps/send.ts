// Writes the outcome to the client: a plugin's response as checked by checkResponse and serialized, or a
// failure as the gateway's JSON error body `{ error: { code, message }, request_id }`.

import { errorBody, refuse } from '../http-errors.js';
import { isFailure, type Outcome, type RequestContext, type Step } from './context.js';

const JSON_TYPE = 'application/json; charset=utf-8';

/** Sends `out` with the context's headers (an outcome's own headers win). */
export function sendOutcome(ctx: RequestContext, out: Outcome): void {
  const headers = out.headers ? Object.assign(ctx.headers, out.headers) : ctx.headers;
  if (isFailure(out)) ctx.io.send(out.status, headers, JSON_TYPE, errorBody(out, ctx.preq.id));
  else if (out.upgrade) {
    if (ctx.io.upgrade) ctx.io.upgrade(headers, out.upgrade);
    else {
      out.upgrade.destroy();
      const f = refuse('PLW_ERR_INTERNAL', { reason: 'this server cannot switch protocols' });
      ctx.io.send(f.status, headers, JSON_TYPE, errorBody(f, ctx.preq.id));
    }
  }
  else ctx.io.send(out.status, headers, out.contentType, out.payload);
}

export const sendStep: Step = {
  name: 'send',
  leave(ctx: RequestContext): void {
    sendOutcome(ctx, ctx.outcome);
  },
};
