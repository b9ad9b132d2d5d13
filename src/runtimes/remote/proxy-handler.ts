// protocol http, the response side of one attempt: an undici dispatch handler (no `request`, so no
// per-request Readable, AsyncResource or body-consuming promise chain of undici's own). A small
// body with a stated length is gathered into one Buffer (one write to the client); any other body
// streams through an UpstreamBody with backpressure (a full buffer pauses the upstream socket).

import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { isPlugwayError } from '../../errors.js';
import type { PluginResponse } from '../../sdk/types.js';
import type { Attempt } from './http-proxy.js';
import type { UpstreamSet } from './upstream-set.js';
import type { Upstream } from './upstream.js';

type Controller = Dispatcher.DispatchController;
type RawHeaders = Record<string, string | string[] | undefined>;

/**
 * Bodies up to this size with a stated length are read whole before the answer goes on: one
 * write to the client instead of a stream piped chunk by chunk (a stream's head and body go out
 * as separate writes, a syscall each). Memory stays bounded: 64 KiB per request in flight.
 */
export const SMALL_BODY_BYTES = 64 * 1024;

// RFC 9110 §7.6.1, plus the proxy ones; `host` is the upstream's.
export const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'trailers',
  'transfer-encoding',
  'upgrade',
  'host',
  'http2-settings',
]);

/** The upstream's response headers without hop-by-hop ones. */
export function responseHeaders(headers: RawHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const name in headers) {
    const v = headers[name];
    if (v === undefined || HOP_BY_HOP.has(name)) continue;
    out[name] = v;
  }
  return out;
}

/** A streamed upstream body: reading resumes the upstream socket, destroying it aborts the request. */
class UpstreamBody extends Readable {
  ended = false;
  constructor(private readonly ctl: Controller) {
    super({ highWaterMark: SMALL_BODY_BYTES });
  }
  override _read(): void {
    this.ctl.resume();
  }
  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    // the client went away, or a middleware dropped the answer: the upstream connection is released
    if (!this.ended) this.ctl.abort(err ?? new Error('the proxied response body was discarded'));
    cb(err);
  }
}

/** One proxied exchange; `promise` resolves with the PluginResponse (at the head when streamed, at the end when small). */
export class ProxyHandler implements Dispatcher.DispatchHandler {
  readonly promise: Promise<PluginResponse>;
  private resolve!: (r: PluginResponse) => void;
  private reject!: (err: unknown) => void;
  private ctl: Controller | undefined;
  private status = 0;
  private headers: Record<string, string | string[]> | undefined;
  /** A small body is gathered (`first`, then `more` past one chunk); a big or unknown one streams through `body`. */
  private small = false;
  private first: Buffer | undefined;
  private more: Buffer[] | undefined;
  private body: UpstreamBody | undefined;
  private settled = false;
  private abortReason: Error | undefined;
  private readonly onAbort: (() => void) | undefined;

  private readonly signal: AbortSignal | undefined;
  private readonly t0: number;

  /** `up` is counted in flight already; the handler counts the rest: latency, success or failure, the end. */
  constructor(
    private readonly method: string,
    private readonly up: Upstream,
    private readonly set: UpstreamSet,
    a: Attempt,
  ) {
    const signal = a.signal;
    this.signal = signal;
    this.t0 = a.t0;
    this.promise = new Promise<PluginResponse>((res, rej) => {
      this.resolve = res;
      this.reject = rej;
    });
    if (signal) {
      this.onAbort = () => {
        this.abortReason = signal.reason as Error;
        this.ctl?.abort(signal.reason as Error);
      };
      if (signal.aborted) this.abortReason = signal.reason as Error;
      else signal.addEventListener('abort', this.onAbort, { once: true });
    }
  }

  onRequestStart(controller: Controller): void {
    this.ctl = controller;
    if (this.abortReason !== undefined) controller.abort(this.abortReason);
  }

  onResponseStart(controller: Controller, statusCode: number, headers: RawHeaders): void {
    if (statusCode < 200) return; // 100 Continue, 103 Early Hints: the final head follows
    this.status = statusCode;
    this.headers = responseHeaders(headers);
    const up = this.up;
    up.observe(performance.now() - this.t0);
    if (statusCode >= 500) this.set.failure(up);
    else this.set.success(up);
    const cl = headers['content-length'];
    const length = typeof cl === 'string' ? Number(cl) : Number.NaN;
    if (this.method !== 'HEAD' && length <= SMALL_BODY_BYTES) {
      this.small = true;
      return;
    }
    const body = new UpstreamBody(controller);
    this.body = body;
    body.once('close', () => this.finish());
    body.once('error', () => {
      this.up.errors++;
    });
    this.resolve({ statusCode, headers: this.headers, body });
  }

  onResponseData(controller: Controller, chunk: Buffer): void {
    if (this.small) {
      if (this.first === undefined) this.first = chunk;
      else (this.more ??= [this.first]).push(chunk);
    } else if (this.body && !this.body.push(chunk)) controller.pause();
  }

  onResponseEnd(): void {
    if (this.small) {
      this.finish();
      const r: PluginResponse = { statusCode: this.status, headers: this.headers! };
      if (this.first !== undefined) r.body = this.more ? Buffer.concat(this.more) : this.first;
      this.resolve(r);
    } else if (this.body) {
      this.body.ended = true;
      this.body.push(null);
    }
  }

  onResponseError(_controller: Controller, err: Error): void {
    if (this.body) {
      this.body.ended = true; // nothing left to abort
      this.body.destroy(err);
      return;
    }
    if (this.small) this.up.errors++; // the body failed after the head, as a streamed body's 'error' counts
    // a failure counts towards the upstream's ejection (an abort from outside the proxy does not)
    if (!isPlugwayError(err)) this.set.failure(this.up);
    this.finish();
    this.reject(err);
  }

  private finish(): void {
    if (this.settled) return;
    this.settled = true;
    if (this.onAbort) this.signal!.removeEventListener('abort', this.onAbort);
    this.up.inFlight--;
  }
}
