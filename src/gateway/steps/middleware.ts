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

/** Returns what it is given: the base of a class that adds a private field to any object. */
class Identity {
  constructor(o: object) {
    // biome-ignore lint/correctness/noConstructorReturn: the point: the subclass's field lands on `o`
    return o;
  }
}

/**
 * Marks an object with a private field, which nothing outside this class can see (not its keys,
 * prototype, JSON, inspect or structuredClone). V8 does not copy an object so marked by its fast
 * path for `{ ...obj }`, and that is what keeps `{ ...obj, newKey }` on one hidden class (below).
 */
class HandedOver extends Identity {
  #handedOver = true;
  static mark(o: object): void {
    if (#handedOver in o) return;
    try {
      new HandedOver(o);
    } catch {
      // a future V8 may refuse private fields on a frozen object: the hook then gets it as it is
    }
  }
}

/**
 * The response an `onResponse` hook is handed: the one so far, with a `headers` object always
 * present (an empty one when the handler gave none), that object marked by HandedOver. The hook's
 * own result is untouched.
 *
 * Why: the way middleware is written (`{ ...res, headers: { ...res.headers, 'x-a': '1' } }`, as
 * docs/authoring.md teaches) meets a V8 11 (Node 20) quirk: an object spread followed by a key its
 * source lacks gets a new hidden class on every call once the code is optimized, so every later
 * reader of that object (the next middleware, the gateway's check, Node's header writer) misses its
 * inline caches, every time. With `headers` always in the response, the outer spread copies a known
 * shape; with the headers object marked, the inner one builds its result through shared hidden
 * classes. Five such middleware, awaited directly in one process: 5.5-6.2 µs a request as written,
 * 3.9-4.4 handed over so (`npm run bench:gateway:steps`; docs/gateway.md, "2026-12-07, night").
 * A copy made here is kept as ctx.res, so a hook that changes it in place and returns nothing is
 * seen by the next hook, as it was when the hook got the object itself.
 */
export function responseForHook(ctx: RequestContext): PluginResponse | undefined {
  const r = handOver(ctx.res);
  ctx.res = r;
  return r;
}

/** What responseForHook hands a hook for response `r` (r itself, or a copy with `headers: {}`); exported for bench/gateway's floor rows. */
export function handOver(r: PluginResponse | undefined): PluginResponse | undefined {
  if (r === undefined || r === null || typeof r !== 'object') return r;
  if (r.headers === undefined) {
    const copy: PluginResponse = 'body' in r ? { statusCode: r.statusCode, headers: {}, body: r.body } : { statusCode: r.statusCode, headers: {} };
    // anything else the response carries (metadata) comes along
    for (const k in r) if (k !== 'statusCode' && k !== 'headers' && k !== 'body') (copy as unknown as Record<string, unknown>)[k] = (r as unknown as Record<string, unknown>)[k];
    r = copy;
  }
  const h = r.headers;
  if (typeof h === 'object' && h !== null) HandedOver.mark(h);
  return r;
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
    step.leave = (ctx) => (isFailure(ctx.outcome) ? undefined : beginCall(host, ctx, id, 'onResponse', [ctx.preq, responseForHook(ctx)], HOOK_CALL, timeoutMs));
    step.left = (ctx, r: PluginResponse | undefined) => {
      callAnswered(host, ctx, false);
      const o = answer(ctx, r);
      if (o) ctx.outcome = o;
    };
    step.leaveFailed = (ctx, err) => callFailed(host, ctx, 'onResponse', err);
  }
  return step;
}
