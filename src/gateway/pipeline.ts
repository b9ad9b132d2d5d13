// The dispatcher: runs a route's compiled step array (steps/) on one request, `enter` forward
// and `leave` backward, synchronously while every step answers synchronously and in the promise's
// `then` from the first step that returns one (Hono's compose.ts, without a promise per step).

import { failureFromCall } from './http-errors.js';
import type { Maybe, Outcome, RequestContext, Step } from './steps/context.js';

export type { Step, RequestContext, Outcome, Exchange } from './steps/context.js';

/** Runs `steps` on `ctx`: undefined when it finished synchronously, else a promise of the end. */
export function dispatch(steps: readonly Step[], ctx: RequestContext): Promise<void> | undefined {
  return enterFrom(steps, ctx, 0);
}

function enterFrom(steps: readonly Step[], ctx: RequestContext, from: number): Promise<void> | undefined {
  for (let i = from; i < steps.length; i++) {
    const enter = steps[i]!.enter;
    if (!enter) continue;
    let r: Maybe<Outcome | undefined>;
    try {
      r = enter(ctx);
    } catch (err) {
      ctx.outcome = failureFromCall(err);
      return leaveFrom(steps, ctx, i - 1);
    }
    if (r instanceof Promise) {
      return r.then(
        (o) => (o === undefined ? enterFrom(steps, ctx, i + 1) : answered(steps, ctx, i, o)),
        (err: unknown) => answered(steps, ctx, i, failureFromCall(err)),
      );
    }
    if (r !== undefined) return answered(steps, ctx, i, r);
  }
  // No step answered: a route's array always ends with the handler, so this is a compile bug.
  return answered(steps, ctx, steps.length, failureFromCall(new Error('no step answered the request')));
}

function answered(steps: readonly Step[], ctx: RequestContext, at: number, o: Outcome): Promise<void> | undefined {
  ctx.outcome = o;
  return leaveFrom(steps, ctx, at - 1);
}

function leaveFrom(steps: readonly Step[], ctx: RequestContext, from: number): Promise<void> | undefined {
  for (let i = from; i >= 0; i--) {
    const leave = steps[i]!.leave;
    if (!leave) continue;
    let r: Maybe<void>;
    try {
      r = leave(ctx);
    } catch (err) {
      ctx.outcome = failureFromCall(err);
      continue;
    }
    if (r instanceof Promise) {
      return r.then(
        () => leaveFrom(steps, ctx, i - 1),
        (err: unknown) => {
          ctx.outcome = failureFromCall(err);
          return leaveFrom(steps, ctx, i - 1);
        },
      );
    }
  }
  return undefined;
}
