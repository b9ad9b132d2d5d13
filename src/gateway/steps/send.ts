// Writes the outcome to the client: a plugin's response as checked by checkResponse and serialized, or a
// failure as the gateway's JSON error body `{ error: { code, message }, request_id }`.

import { eventStream } from '../event-stream.js';
import { errorBody, refuse } from '../http-errors.js';
import type { WireResponse } from '../response.js';
import { isFailure, type Outcome, type RequestContext, type Step } from './context.js';

const JSON_TYPE = 'application/json; charset=utf-8';

/** Sends `out` with the context's headers (an outcome's own headers win). */
export function sendOutcome(ctx: RequestContext, out: Outcome): void {
  const headers = out.headers ? Object.assign(ctx.headers, out.headers) : ctx.headers;
  if (isFailure(out)) ctx.io.send(out.status, headers, JSON_TYPE, errorBody(out, ctx.preq.id));
  else if (out.upgrade) {
    // a socket is spliced only for a request that asked to upgrade: anywhere else a 101 is refused
    if (ctx.io.upgrade && ctx.preq.headers.upgrade !== undefined) ctx.io.upgrade(headers, out.upgrade);
    else {
      out.upgrade.destroy();
      const f = refuse('PLW_ERR_INTERNAL', { reason: ctx.io.upgrade ? 'a 101 answer to a request that did not ask to upgrade' : 'this server cannot switch protocols' });
      ctx.io.send(f.status, headers, JSON_TYPE, errorBody(f, ctx.preq.id));
    }
  } else if (out.stream) sendStream(ctx, out.stream, out, headers);
  else ctx.io.send(out.status, headers, out.contentType, out.payload);
}

/** A body that is an async iterable: server-sent events, one flushed per item (event-stream.ts). */
function sendStream(ctx: RequestContext, iterable: AsyncIterable<unknown>, out: WireResponse, headers: Record<string, string | number | string[]>): void {
  if (!ctx.io.stream) {
    const f = refuse('PLW_ERR_STREAM_FAILED', { id: '', reason: 'this server cannot send event streams' });
    ctx.io.send(f.status, headers, JSON_TYPE, errorBody(f, ctx.preq.id));
    return;
  }
  ctx.io.stream(out.status, headers, out.contentType, eventStream(iterable, out.onStreamError ?? (() => undefined)));
}

export const sendStep: Step = {
  name: 'send',
  leave(ctx: RequestContext): void {
    sendOutcome(ctx, ctx.outcome);
  },
};
