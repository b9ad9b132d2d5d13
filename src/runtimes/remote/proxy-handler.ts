// protocol http, the response side of one attempt: an undici dispatch handler (no `request`, so no
// per-request Readable, AsyncResource or body-consuming promise chain of undici's own). A small
// body with a stated length is gathered into one Buffer (one write to the client); any other body
// streams through an UpstreamBody with backpressure (a full buffer pauses the upstream socket).

import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { isPlugwayError } from '../../errors.js';
import type { PluginResponse } from '../../sdk/types.js';
import type { Attempt } from './http-proxy.js';
import type { UpstreamSet } from './upstream-set.js';
import type { Upstream } from './upstream.js';

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

/**
 * A raw header name lowercased: undici's own lookup (a tree of the well-known names, answering
 * with an interned lowercase string, no allocation) when this undici has it, else toLowerCase.
 */
const lowerCasedName: (name: Buffer) => string =
  (createRequire(import.meta.url)('undici/lib/core/util.js') as { bufferToLowerCasedHeaderName?: (name: Buffer) => string }).bufferToLowerCasedHeaderName ??
  ((name) => name.toString('latin1').toLowerCase());

/**
 * undici's raw response head (name, value, name, value… as Buffers) as one header object: names
 * lowercased, hop-by-hop ones dropped, a repeated header as an array (as undici's parseHeaders
 * builds it, without the second copy that responseHeaders would make of it).
 */
function headersFromRaw(raw: Buffer[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (let i = 0; i < raw.length; i += 2) {
    const name = lowerCasedName(raw[i]!);
    if (HOP_BY_HOP.has(name)) continue;
    const value = raw[i + 1]!.toString('latin1');
    const had = Object.hasOwn(out, name) ? out[name] : undefined;
    if (had === undefined) {
      if (name === '__proto__') Object.defineProperty(out, name, { value, enumerable: true, configurable: true, writable: true });
      else out[name] = value;
    } else if (typeof had === 'string') out[name] = [had, value];
    else had.push(value);
  }
  return out;
}

/** What a streamed body steers: the upstream socket paused and resumed, the request aborted. */
interface Flow {
  resume(): void;
  abort(err: Error): void;
}

/** A streamed upstream body: reading resumes the upstream socket, destroying it aborts the request. */
class UpstreamBody extends Readable {
  ended = false;
  constructor(private readonly flow: Flow) {
    super({ highWaterMark: SMALL_BODY_BYTES });
  }
  override _read(): void {
    this.flow.resume();
  }
  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    // the client went away, or a middleware dropped the answer: the upstream connection is released
    if (!this.ended) this.flow.abort(err ?? new Error('the proxied response body was discarded'));
    cb(err);
  }
}

/**
 * One proxied exchange; `promise` resolves with the PluginResponse (at the head when streamed, at
 * the end when small). It speaks undici's callback API (onConnect, onHeaders, onData, onComplete,
 * onError), the one undici's dispatcher runs on: a handler with the newer controller API
 * (onRequestStart, onResponseStart…) is wrapped per request in an UnwrapHandler and an
 * UnwrapController, and its response head and trailers parsed into objects, which this handler
 * does once, in headersFromRaw.
 */
export class ProxyHandler implements Dispatcher.DispatchHandler, Flow {
  readonly promise: Promise<PluginResponse>;
  private resolve!: (r: PluginResponse) => void;
  private reject!: (err: unknown) => void;
  private abortRequest: ((err?: Error) => void) | undefined;
  private resumeSocket: (() => void) | undefined;
  private aborted = false;
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
        if (this.abortRequest) this.abort(signal.reason as Error);
      };
      if (signal.aborted) this.abortReason = signal.reason as Error;
      else signal.addEventListener('abort', this.onAbort, { once: true });
    }
  }

  /** Flow: aborts the upstream request (once). */
  abort(err: Error): void {
    if (this.aborted || !this.abortRequest) return;
    this.aborted = true;
    this.abortRequest(err);
  }

  /** Flow: resumes a socket paused by a full body buffer (undici ignores it when not paused). */
  resume(): void {
    this.resumeSocket?.();
  }

  onConnect(abort: (err?: Error) => void): void {
    this.abortRequest = abort;
    if (this.abortReason !== undefined) this.abort(this.abortReason);
  }

  onHeaders(statusCode: number, raw: Buffer[], resume: () => void): boolean {
    if (statusCode < 200) return true; // 100 Continue, 103 Early Hints: the final head follows
    this.status = statusCode;
    this.resumeSocket = resume;
    const headers = headersFromRaw(raw);
    this.headers = headers;
    const up = this.up;
    up.observe(performance.now() - this.t0);
    if (statusCode >= 500) this.set.failure(up);
    else this.set.success(up);
    const cl = headers['content-length'];
    const length = typeof cl === 'string' ? Number(cl) : Number.NaN;
    if (this.method !== 'HEAD' && length <= SMALL_BODY_BYTES) {
      this.small = true;
      return true;
    }
    const body = new UpstreamBody(this);
    this.body = body;
    body.once('close', () => this.finish());
    body.once('error', () => {
      this.up.errors++;
    });
    this.resolve({ statusCode, headers, body });
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.small) {
      if (this.first === undefined) this.first = chunk;
      else (this.more ??= [this.first]).push(chunk);
      return true;
    }
    // false pauses the upstream socket until the client reads (UpstreamBody._read → resume)
    return this.body === undefined || this.body.push(chunk);
  }

  onComplete(): void {
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

  onError(err: Error): void {
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
