// What a route's steps share on one request (RequestContext) and the shape of a step (Step):
// the contract every file in this folder implements. docs/gateway.md explains how to add one.

import type { Duplex, Readable } from 'node:stream';
import type { CallCounters, CallSlot } from '../../host/traffic.js';
import type { PluginRecord } from '../../host/registry.js';
import { addDeadline, removeDeadline, type Deadline } from '../../resilience/deadlines.js';
import type { CallOptions } from '../../runtimes/types.js';
import type { PluginRequest, PluginResponse } from '../../sdk/types.js';
import type { HttpFailure } from '../http-errors.js';
import type { WireResponse } from '../response.js';

/** What a request ends with: a response to send, or a failure the gateway answers with its error body. */
export type Outcome = WireResponse | HttpFailure;

export function isFailure(o: Outcome): o is HttpFailure {
  return (o as HttpFailure).code !== undefined;
}

/** The HTTP server a request came through (Fastify, or plugway serve's own node:http server). */
export interface Exchange {
  /** The peer's address (before any X-Forwarded-For). */
  remoteAddress(): string;
  /** Writes the whole response (a Readable payload is piped); called once, by the send step. */
  send(status: number, headers: Record<string, string | number | string[]>, contentType: string | undefined, payload: string | Buffer | Readable | undefined): void;
  /** A 101 with the upstream's socket (a proxied WebSocket): spliced with the client's (stream-response.ts). */
  upgrade?(headers: Record<string, string | number | string[]>, upstream: Duplex): void;
  /** Sends a server-sent event stream (event-stream.ts), flushed event by event; the server destroys `body` when the client goes away. */
  stream?(status: number, headers: Record<string, string | number | string[]>, contentType: string | undefined, body: Readable): void;
}

/** A sync result, or a promise of it: the dispatcher handles both, a step never has to. */
export type Maybe<T> = T | Promise<T>;

/**
 * One step of a route's compiled array; every member but `name` is optional.
 * - `enter` runs on the way in, in array order, and returns its raw result (a plugin's answer, a
 *   limiter's decision), a value or a promise. `entered(ctx, value)` says what the result means,
 *   whichever way it came: undefined goes on to the next step, an Outcome answers the request here
 *   (the steps after it do not run). Without `entered`, enter's result is that already.
 *   `enterFailed(ctx, err)` does the same for a throw or a rejection (default: the error as the outcome).
 * - `leave` runs on the way out, in reverse order, for every step before the one that answered
 *   (a step's own `leave` does not run when its `enter` answered). It reads and may replace
 *   `ctx.outcome`; `left(ctx, value)` receives its result. A throw or rejection becomes the outcome.
 * The dispatcher (pipeline.ts) does the sync-or-promise bookkeeping once, for every step: a step
 * never writes `.then`, and a plugin's promise costs one continuation, not one per layer.
 */
export interface Step {
  /** For docs, tests and `describe()`: which concern this is (`auth`, `rate-limit`, `middleware:cors`…). */
  readonly name: string;
  enter?(ctx: RequestContext): unknown;
  entered?(ctx: RequestContext, value: any): Maybe<Outcome | undefined>;
  enterFailed?(ctx: RequestContext, err: unknown): Maybe<Outcome | undefined>;
  leave?(ctx: RequestContext): unknown;
  left?(ctx: RequestContext, value: any): void;
  /** What a rejection of leave's promise means (default: the error itself becomes the outcome). */
  leaveFailed?(ctx: RequestContext, err: unknown): unknown;
  /**
   * The deadline a step asked for (RequestContext.guard) passed before its promise settled: the
   * error to go on with, as enterFailed or leaveFailed would get it. The late answer is ignored.
   */
  timedOut?(ctx: RequestContext): unknown;
}

/** One request on its way through a route. */
export class RequestContext implements CallSlot, Deadline {
  /** pipeline.ts: what a passed deadline does (set once, when the dispatcher is loaded). */
  static onDeadline: (ctx: RequestContext) => void = () => undefined;
  /** Set when a step answers, the handler included; the way out reads and may replace it. */
  outcome!: Outcome;
  /** The plugin response behind `outcome` when it is not a failure (what onResponse middleware sees). */
  res: PluginResponse | undefined = undefined;
  /** Headers every answer carries (x-request-id, ratelimit-*); an outcome's own headers win. */
  readonly headers: Record<string, string | number | string[]>;
  /** The call's options; the host writes the version that served it into `servedBy`. */
  options: CallOptions | undefined = undefined;

  // The plugin call in flight (host.begin / host.end): one at a time, since steps run one after another.
  callRec: PluginRecord | undefined = undefined;
  callCounters: CallCounters | undefined = undefined;
  callStart = 0;
  /** The call's promise is the plugin's own (CallOptions.callerDeadline): a rejection is the runtime's to word. */
  callRaw = false;

  // The deadline of the step awaited now (guard()); the request is its own entry in the shared deadline queue.
  at = 0;
  prev: Deadline | undefined = undefined;
  next: Deadline | undefined = undefined;
  list: Deadline['list'] = undefined;
  private guardMs = 0;
  /** Bumped at every await: a continuation of an earlier one (an answer after its deadline) is ignored. */
  private gen = 0;
  /** What the dispatcher awaits (pipeline.ts): step `pendingIndex`'s enter (0), its entered (1) or its leave (2). */
  pendingIndex = 0;
  pendingKind = 0;
  /** The awaited step's array, while a deadline it asked for is armed (for onDeadline). */
  pendingSteps: readonly Step[] = [];

  /**
   * A recent performance.now(): the request's start, then the moment the dispatcher last resumed
   * (one clock read per await). Plugin calls are timed with it; a synchronous stretch is µs long.
   */
  now: number;

  constructor(
    readonly preq: PluginRequest,
    readonly io: Exchange,
    /** performance.now() when the request reached the gateway. */
    readonly start: number,
  ) {
    this.headers = { 'x-request-id': preq.id };
    this.now = start;
  }

  /** A step asks the dispatcher to time out the promise it is returning after `ms` (one shared timer, no promise of its own). */
  guard(ms: number): void {
    this.guardMs = ms;
  }

  /** Whether the step awaited now is on the way out (its leave). */
  get pendingLeave(): boolean {
    return this.pendingKind === 2;
  }

  /** The dispatcher awaits what pendingIndex/pendingKind say: arms the deadline the step asked for; the returned generation tells a live continuation from a stale one. */
  awaiting(steps: readonly Step[]): number {
    if (this.guardMs > 0) {
      this.pendingSteps = steps;
      addDeadline(this, this.guardMs, this.now); // the call began a moment ago: not another clock read
      this.guardMs = 0;
    }
    return ++this.gen;
  }

  /** The awaited promise settled: false when it is stale (its deadline passed and the request went on). */
  resumed(gen: number): boolean {
    if (gen !== this.gen) return false;
    if (this.list !== undefined) removeDeadline(this);
    return true;
  }

  /** Deadline: called by the shared queue, which has unlinked it. */
  expire(): void {
    this.list = undefined;
    this.gen++;
    RequestContext.onDeadline(this);
  }
}
