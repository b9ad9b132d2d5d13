// The dispatcher: runs a route's compiled step array (steps/) on one request, `enter` forward
// and `leave` backward, synchronously while every step answers synchronously and in the promise's
// `then` from the first step that returns one (Hono's compose.ts, without a promise per step).
// A step that returns a plugin's own promise may ask for a deadline (ctx.guard): the request is
// then an entry in one shared deadline queue while it waits, and a late answer is ignored.
// steps/context.ts describes a step.

import { failureFromCall } from './http-errors.js';
import { RequestContext, type Outcome, type Step } from './steps/context.js';

export type { Step, Outcome, Exchange } from './steps/context.js';
export { RequestContext };

type Done = Promise<void> | undefined;

/** Runs `steps` on `ctx`: undefined when it finished synchronously, else a promise of the end (it never rejects). */
export function dispatch(steps: readonly Step[], ctx: RequestContext): Done {
  return enterFrom(steps, ctx, 0);
}

function enterFrom(steps: readonly Step[], ctx: RequestContext, from: number): Done {
  for (let i = from; i < steps.length; i++) {
    const step = steps[i]!;
    if (!step.enter) continue;
    let r: unknown;
    try {
      r = step.enter(ctx);
    } catch (err) {
      return afterEnter(steps, ctx, i, enterFailed(step, ctx, err));
    }
    if (r instanceof Promise) return awaitEnter(steps, ctx, i, r);
    if (step.entered) r = entered(step, ctx, r);
    if (r instanceof Promise) return afterEnter(steps, ctx, i, r);
    if (r !== undefined) return answered(steps, ctx, i, r as Outcome);
  }
  // No step answered: a route's array always ends with the handler, so this is a compile bug.
  return answered(steps, ctx, steps.length, failureFromCall(new Error('no step answered the request')));
}

function awaitEnter(steps: readonly Step[], ctx: RequestContext, i: number, p: Promise<unknown>): Promise<void> {
  const step = steps[i]!;
  const gen = ctx.awaiting(steps, i, false);
  return p.then(
    (v) => (ctx.resumed(gen) ? afterEnter(steps, ctx, i, entered(step, ctx, v)) : undefined),
    (err: unknown) => (ctx.resumed(gen) ? afterEnter(steps, ctx, i, enterFailed(step, ctx, err)) : undefined),
  );
}

/** What step i's result means (its `entered`), a throw in it handled as a failure of the step. */
function entered(step: Step, ctx: RequestContext, v: unknown): unknown {
  if (!step.entered) return v;
  try {
    return step.entered(ctx, v);
  } catch (err) {
    return failureFromCall(err);
  }
}

function enterFailed(step: Step, ctx: RequestContext, err: unknown): unknown {
  if (!step.enterFailed) return failureFromCall(err);
  try {
    return step.enterFailed(ctx, err);
  } catch (e) {
    return failureFromCall(e);
  }
}

/** Step i's enter settled with `v` (an Outcome, undefined to go on, or a promise of either). */
function afterEnter(steps: readonly Step[], ctx: RequestContext, i: number, v: unknown): Done {
  if (v instanceof Promise) {
    return v.then(
      (o) => afterEnter(steps, ctx, i, o),
      (err: unknown) => answered(steps, ctx, i, failureFromCall(err)),
    );
  }
  return v === undefined ? enterFrom(steps, ctx, i + 1) : answered(steps, ctx, i, v as Outcome);
}

function answered(steps: readonly Step[], ctx: RequestContext, at: number, o: Outcome): Done {
  ctx.outcome = o;
  return leaveFrom(steps, ctx, at - 1);
}

function leaveFrom(steps: readonly Step[], ctx: RequestContext, from: number): Done {
  for (let i = from; i >= 0; i--) {
    const step = steps[i]!;
    if (!step.leave) continue;
    let r: unknown;
    try {
      r = step.leave(ctx);
      if (!(r instanceof Promise)) {
        if (step.left) step.left(ctx, r);
        continue;
      }
    } catch (err) {
      leaveFailed(step, ctx, err);
      continue;
    }
    return awaitLeave(steps, ctx, i, r);
  }
  return undefined;
}

function awaitLeave(steps: readonly Step[], ctx: RequestContext, i: number, p: Promise<unknown>): Promise<void> {
  const step = steps[i]!;
  const gen = ctx.awaiting(steps, i, true);
  return p.then(
    (v) => {
      if (!ctx.resumed(gen)) return undefined;
      try {
        if (step.left) step.left(ctx, v);
      } catch (err) {
        ctx.outcome = failureFromCall(err);
      }
      return leaveFrom(steps, ctx, i - 1);
    },
    (err: unknown) => {
      if (!ctx.resumed(gen)) return undefined;
      leaveFailed(step, ctx, err);
      return leaveFrom(steps, ctx, i - 1);
    },
  );
}

/** A throw or rejection on the way out becomes the outcome (as the step words it). */
function leaveFailed(step: Step, ctx: RequestContext, err: unknown): void {
  let e = err;
  if (step.leaveFailed) {
    try {
      e = step.leaveFailed(ctx, err);
    } catch (thrown) {
      e = thrown;
    }
  }
  ctx.outcome = failureFromCall(e);
}

/** A step's deadline passed (ctx.guard): the request goes on with the step's timeout error, now. */
RequestContext.onDeadline = (ctx: RequestContext): void => {
  const steps = ctx.pendingSteps;
  const i = ctx.pendingIndex;
  const step = steps[i]!;
  const err = step.timedOut ? step.timedOut(ctx) : new Error(`step ${step.name} timed out`);
  let done: Done;
  if (ctx.pendingLeave) {
    ctx.outcome = failureFromCall(err);
    done = leaveFrom(steps, ctx, i - 1);
  } else {
    done = afterEnter(steps, ctx, i, enterFailed(step, ctx, err));
  }
  if (done) done.catch(() => undefined); // the dispatcher settles every promise it makes
};
