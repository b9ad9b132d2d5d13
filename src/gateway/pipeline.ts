// The dispatcher: runs a route's compiled step array (steps/) on one request, `enter` forward
// and `leave` backward. It runs synchronously while every step answers synchronously; from the
// first promise on, one async loop (drive) awaits each promise a step returns and goes on
// synchronously again after it (Hono's compose.ts, with one await per promise and no promise of
// its own per step). A step that returns a plugin's own promise may ask for a deadline (ctx.guard):
// the request is then an entry in one shared deadline queue while it waits, and a late answer is
// ignored. steps/context.ts describes a step.

import { failureFromCall } from './http-errors.js';
import { RequestContext, type Outcome, type Step } from './steps/context.js';

export type { Step, Outcome, Exchange } from './steps/context.js';
export { RequestContext };

/** What the dispatcher awaits (ctx.pendingKind): a step's enter, its entered, or its leave. */
const ENTER = 0;
const ENTERED = 1;
const LEAVE = 2;

/** A promise the dispatcher must await next (what it is: ctx.pendingIndex / pendingKind), or undefined: the request is done. */
type Next = Promise<unknown> | undefined;

/**
 * Runs `steps` on `ctx`: undefined when it finished synchronously, else a promise of the end (it
 * never rejects). After a step's deadline passed, the request goes on and is answered without it,
 * and this promise settles only if (when) the plugin's own promise does: wait for the answer, not
 * for it (every caller in the gateway only catches it).
 */
export function dispatch(steps: readonly Step[], ctx: RequestContext): Promise<void> | undefined {
  const next = enterFrom(steps, ctx, 0);
  return next === undefined ? undefined : drive(steps, ctx, next);
}

/** Awaits each promise a step returns, in turn, and goes on synchronously after it. */
async function drive(steps: readonly Step[], ctx: RequestContext, first: Promise<unknown>): Promise<void> {
  let next: Next = first;
  while (next !== undefined) {
    const i = ctx.pendingIndex;
    const kind = ctx.pendingKind;
    const gen = ctx.awaiting(steps);
    let v: unknown;
    let failed = false;
    try {
      v = await next;
    } catch (err) {
      v = err;
      failed = true;
    }
    if (!ctx.resumed(gen)) return; // its deadline passed and the request went on without it
    ctx.now = performance.now();
    next = resume(steps, ctx, i, kind, v, failed);
  }
}

function pending(ctx: RequestContext, i: number, kind: number, p: Promise<unknown>): Promise<unknown> {
  ctx.pendingIndex = i;
  ctx.pendingKind = kind;
  return p;
}

/** What was awaited settled (`v`: its value, or its error when `failed`): on from there. */
function resume(steps: readonly Step[], ctx: RequestContext, i: number, kind: number, v: unknown, failed: boolean): Next {
  const step = steps[i]!;
  if (kind === ENTER) return settled(steps, ctx, i, failed ? enterFailed(step, ctx, v) : entered(step, ctx, v));
  if (kind === ENTERED) return failed ? answered(steps, ctx, i, failureFromCall(v)) : settled(steps, ctx, i, v);
  if (failed) leaveFailed(step, ctx, v);
  else if (step.left) {
    try {
      step.left(ctx, v);
    } catch (err) {
      ctx.outcome = failureFromCall(err);
    }
  }
  return leaveFrom(steps, ctx, i - 1);
}

function enterFrom(steps: readonly Step[], ctx: RequestContext, from: number): Next {
  for (let i = from; i < steps.length; i++) {
    const step = steps[i]!;
    if (!step.enter) continue;
    let r: unknown;
    try {
      r = step.enter(ctx);
    } catch (err) {
      return settled(steps, ctx, i, enterFailed(step, ctx, err));
    }
    if (r instanceof Promise) return pending(ctx, i, ENTER, r);
    if (step.entered) r = entered(step, ctx, r);
    if (r instanceof Promise) return pending(ctx, i, ENTERED, r);
    if (r !== undefined) return answered(steps, ctx, i, r as Outcome);
  }
  // No step answered: a route's array always ends with the handler, so this is a compile bug.
  return answered(steps, ctx, steps.length, failureFromCall(new Error('no step answered the request')));
}

/** Step i's enter came to `r`: an Outcome answers, undefined goes on, a promise is awaited. */
function settled(steps: readonly Step[], ctx: RequestContext, i: number, r: unknown): Next {
  if (r instanceof Promise) return pending(ctx, i, ENTERED, r);
  return r === undefined ? enterFrom(steps, ctx, i + 1) : answered(steps, ctx, i, r as Outcome);
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

function answered(steps: readonly Step[], ctx: RequestContext, at: number, o: Outcome): Next {
  ctx.outcome = o;
  return leaveFrom(steps, ctx, at - 1);
}

function leaveFrom(steps: readonly Step[], ctx: RequestContext, from: number): Next {
  for (let i = from; i >= 0; i--) {
    const step = steps[i]!;
    if (!step.leave) continue;
    let r: unknown;
    try {
      r = step.leave(ctx);
      if (r instanceof Promise) return pending(ctx, i, LEAVE, r);
      if (step.left) step.left(ctx, r);
    } catch (err) {
      leaveFailed(step, ctx, err);
    }
  }
  return undefined;
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
  ctx.now = performance.now();
  const err = step.timedOut ? step.timedOut(ctx) : new Error(`step ${step.name} timed out`);
  let next: Next;
  if (ctx.pendingKind === LEAVE) {
    ctx.outcome = failureFromCall(err);
    next = leaveFrom(steps, ctx, i - 1);
  } else {
    next = settled(steps, ctx, i, enterFailed(step, ctx, err));
  }
  if (next !== undefined) void drive(steps, ctx, next);
};
