// Server-sent events: a handler whose response body is an async iterable is sent as
// text/event-stream, one event written (and flushed) per item; a client that goes away cancels it.

import { Readable } from 'node:stream';
import type { ServerResponse } from 'node:http';
import type { FastifyReply } from 'fastify';
import { reasonOf } from '../errors.js';

export const EVENT_STREAM_TYPE = 'text/event-stream; charset=utf-8';

/** What an item of the iterable may be: an event object, a string (the event's data) or bytes written as they are. */
export interface SseEvent {
  data: unknown;
  event?: string;
  id?: string;
  /** Reconnection delay for the client, ms. */
  retry?: number;
}

export function isAsyncIterable(x: unknown): x is AsyncIterable<unknown> {
  return x !== null && typeof x === 'object' && typeof (x as Record<symbol, unknown>)[Symbol.asyncIterator] === 'function';
}

/** `data:` once per line of the payload (SSE cannot carry a raw newline inside a field). */
function dataLines(data: string): string {
  if (data.indexOf('\n') < 0 && data.indexOf('\r') < 0) return `data: ${data}\n`;
  return data
    .split(/\r\n|\r|\n/)
    .map((l) => `data: ${l}\n`)
    .join('');
}

const oneLine = (s: string) => s.replace(/[\r\n]/g, ' ');

/** One item as the bytes of one event. */
export function formatEvent(item: unknown): string | Buffer {
  if (typeof item === 'string') return `${dataLines(item)}\n`;
  if (item instanceof Uint8Array) return Buffer.isBuffer(item) ? item : Buffer.from(item.buffer, item.byteOffset, item.byteLength);
  if (item !== null && typeof item === 'object' && 'data' in item) {
    const e = item as SseEvent;
    let out = '';
    if (e.event !== undefined) out += `event: ${oneLine(String(e.event))}\n`;
    if (e.id !== undefined) out += `id: ${oneLine(String(e.id))}\n`;
    if (e.retry !== undefined && Number.isFinite(e.retry)) out += `retry: ${Math.max(0, Math.floor(e.retry))}\n`;
    return `${out}${dataLines(typeof e.data === 'string' ? e.data : (JSON.stringify(e.data) ?? 'null'))}\n`;
  }
  return `${dataLines(JSON.stringify(item) ?? 'null')}\n`;
}

/** An event stream's Readable, with hooks around each push of an event (where its writer corks and uncorks). */
export class EventReadable extends Readable {
  beforePush: (() => void) | undefined = undefined;
  afterPush: (() => void) | undefined = undefined;
}

/**
 * A Readable pulling one item per read: nothing is buffered beyond the socket's own backpressure.
 * Fastify destroys it when the client goes away, which calls the iterator's return() at once.
 */
export function eventStream(iterable: AsyncIterable<unknown>, onError: (err: unknown) => void): EventReadable {
  const it = iterable[Symbol.asyncIterator]();
  let finished = false;
  return new EventReadable({
    read() {
      let next: Promise<IteratorResult<unknown>>;
      try {
        next = it.next();
      } catch (err) {
        next = Promise.reject(err);
      }
      next.then(
        (r) => {
          if (finished) return;
          if (r.done) {
            finished = true;
            this.push(null);
            return;
          }
          let bytes: string | Buffer;
          try {
            bytes = formatEvent(r.value);
          } catch (err) {
            bytes = formatEvent({ event: 'error', data: { error: { code: 'PLW_ERR_STREAM_FAILED', message: `an event could not be serialized: ${reasonOf(err)}` } } });
          }
          const self = this as EventReadable;
          self.beforePush?.();
          this.push(bytes);
          self.afterPush?.();
        },
        (err: unknown) => {
          if (finished) return;
          finished = true;
          onError(err);
          // The status line is gone already: the failure can only be told in the stream itself.
          (this as EventReadable).beforePush?.();
          this.push(formatEvent({ event: 'error', data: { error: { code: 'PLW_ERR_STREAM_FAILED', message: 'the event stream failed after it started; the gateway log has the reason' } } }));
          this.push(null);
        },
      );
    },
    destroy(err, cb) {
      if (!finished) {
        finished = true;
        try {
          const r = it.return?.();
          if (r && typeof r.then === 'function') r.then(undefined, () => undefined);
        } catch {
          // a return() that throws has nothing left to cancel
        }
      }
      cb(err);
    },
  });
}

/** The headers an event stream goes with (the handler's own win): no caching, no proxy buffering. */
export function streamHeaders(headers: Record<string, string | number | string[]>, contentType: string | undefined): Record<string, string | number | string[]> {
  headers['content-type'] = contentType ?? EVENT_STREAM_TYPE;
  if (headers['cache-control'] === undefined) headers['cache-control'] = 'no-cache';
  headers['x-accel-buffering'] = 'no';
  return headers;
}

/**
 * Few socket writes, no wait for the first event: the headers are held (corked) until the first
 * event and leave with it at once (at the latest in this turn's check phase, setImmediate); events
 * after it that are ready in the same turn of the event loop are corked and leave together at that
 * turn's end. An upstream's dozen chunks read in one packet cost two syscalls, not a dozen (each
 * ~40 µs on a busy loopback). Other Readables: the headers only.
 */
function writeInBursts(res: ServerResponse, body: Readable): void {
  let corked = false;
  const uncork = () => {
    if (!corked) return;
    corked = false;
    if (!res.writableEnded) res.uncork(); // end() flushed everything already
  };
  const cork = () => {
    if (corked || res.writableEnded) return;
    corked = true;
    res.cork();
    setImmediate(uncork);
  };
  cork();
  if (!(body instanceof EventReadable)) return;
  body.beforePush = cork;
  body.afterPush = () => {
    body.afterPush = undefined; // the first event only: it goes now, with the headers
    uncork();
  };
}

/** Over Fastify: its stream handling destroys `body` (cancelling the iterator) when the client goes away. */
export function streamOverFastify(reply: FastifyReply, status: number, headers: Record<string, string | number | string[]>, contentType: string | undefined, body: Readable): void {
  reply.code(status);
  reply.headers(streamHeaders(headers, contentType));
  const raw = reply.raw;
  writeInBursts(raw, body);
  reply.send(body);
  // Node holds the status line until the first body write; a client (EventSource's onopen) should
  // not wait for the first event to learn that the stream is open: the headers leave in this turn.
  if (!raw.headersSent && !raw.writableEnded) raw.flushHeaders();
}

/** Over node:http (plugway serve's fast path): the same, by hand. */
export function streamOverNode(res: ServerResponse, status: number, headers: Record<string, string | number | string[]>, contentType: string | undefined, body: Readable): void {
  res.writeHead(status, streamHeaders(headers, contentType));
  writeInBursts(res, body);
  res.flushHeaders();
  body.pipe(res);
  res.on('close', () => {
    if (!res.writableFinished) body.destroy();
  });
  body.on('error', () => res.destroy());
}
