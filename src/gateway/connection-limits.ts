// Slow-client defences on the gateway's own server: open connections in all and per client IP,
// an idle limit between the chunks of a request body (Node's requestTimeout and headersTimeout,
// set in the server options, bound the whole request and its headers), and a sweep for clients that
// stop reading a finished answer.

import type { FastifyInstance } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { clientIpOf } from './client-ip.js';
import type { Server as NetServer, Socket } from 'node:net';
import { Server as TlsServer } from 'node:tls';
import { Transform, type TransformCallback } from 'node:stream';
import type { GatewayLimits } from '../host/config-types.js';
import { PlugwayError } from '../errors.js';

/** Counts per key, dropping a key at zero (the map cannot grow past the number of open things). */
class Tally {
  private readonly counts = new Map<string, number>();
  tryTake(key: string, max: number): boolean {
    const n = this.counts.get(key) ?? 0;
    if (n >= max) return false;
    this.counts.set(key, n + 1);
    return true;
  }
  give(key: string): void {
    const n = (this.counts.get(key) ?? 1) - 1;
    if (n <= 0) this.counts.delete(key);
    else this.counts.set(key, n);
  }
  get size(): number {
    return this.counts.size;
  }
}

/** Errors the body stream with a coded 408 when no chunk arrived for `idleMs`. */
class BodyIdleGuard extends Transform {
  private timer: NodeJS.Timeout;
  receivedEncodedLength = 0;
  constructor(private readonly idleMs: number) {
    super();
    this.timer = this.arm();
  }
  private arm(): NodeJS.Timeout {
    const t = setTimeout(() => {
      const err = new PlugwayError('PLW_ERR_REQUEST_TIMEOUT', { timeoutMs: this.idleMs, what: 'the body stopped arriving' });
      this.destroy(Object.assign(err, { statusCode: 408 }));
    }, this.idleMs);
    t.unref();
    return t;
  }
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    clearTimeout(this.timer);
    this.timer = this.arm();
    this.receivedEncodedLength += chunk.length;
    cb(null, chunk);
  }
  override _flush(cb: TransformCallback): void {
    clearTimeout(this.timer);
    cb();
  }
  override _destroy(err: Error | null, cb: (error: Error | null) => void): void {
    clearTimeout(this.timer);
    cb(err);
  }
}

/** Node's server options that carry the limits (for Fastify's `http` option and its own). */
export function serverTimeouts(limits: GatewayLimits): { requestTimeout: number; http: { headersTimeout: number; maxHeaderSize: number; connectionsCheckingInterval: number } } {
  return {
    requestTimeout: limits.requestTimeoutMs,
    http: {
      headersTimeout: limits.headersTimeoutMs,
      maxHeaderSize: limits.maxHeaderBytes,
      // Node checks for expired headers/requests this often (its default, 30 s, would let them run long past the limit).
      connectionsCheckingInterval: Math.max(250, Math.min(1000, Math.floor(Math.min(limits.headersTimeoutMs, limits.requestTimeoutMs) / 4))),
    },
  };
}

/**
 * Open connections or requests per client. Without trust_proxy: connections per socket address,
 * refused by closing the socket. Behind a trusted proxy every socket is the proxy's, so requests in
 * flight are counted per forwarded client IP instead (the rate limiter's rule, client-ip.ts) and
 * refused with 429 PLW_ERR_TOO_MANY_CONNECTIONS.
 */
export class PerClientLimit {
  private readonly tally = new Tally();

  constructor(
    readonly max: number,
    readonly perRequest: boolean,
  ) {}

  /** Counts a new connection; false when its address is at the limit (the caller closes it). */
  connection(socket: Socket): boolean {
    const ip = socket.remoteAddress ?? 'unknown';
    if (!this.tally.tryTake(ip, this.max)) return false;
    socket.once('close', () => this.tally.give(ip));
    return true;
  }

  /**
   * Admits a request (trust_proxy): counted until its response closes. Always true when counting
   * connections. The fast path calls it before serving; a refused request goes on to Fastify, whose
   * onRequest hook answers the 429.
   */
  readonly gate = (req: IncomingMessage, res: ServerResponse): boolean => {
    if (!this.perRequest) return true;
    const ip = clientIpOf(req.headers, () => req.socket.remoteAddress ?? 'unknown', true);
    if (!this.tally.tryTake(ip, this.max)) return false;
    res.once('close', () => this.tally.give(ip));
    return true;
  };
}

/** The limits on a standalone gateway's server and the body idle guard. */
export function applyConnectionLimits(app: FastifyInstance, limits: GatewayLimits, perClient: PerClientLimit): void {
  const server = app.server;
  server.maxConnections = limits.maxConnections;
  // A connection that sends nothing, or headers that never end, is closed by Node itself
  // (headersTimeout, counted from the connection or the request's first byte, checked every
  // connectionsCheckingInterval); one idle between requests by keepAliveTimeout. What Node leaves
  // open is a client that stops reading an answer the gateway has finished: those are swept here.
  // HTTP/1 servers only (node:http, and https with gateway.tls): an HTTP/2 server's streams are
  // its session's, and Fastify creates it without these options.
  const http1 = server as typeof server & { headersTimeout?: number };
  if (typeof http1.headersTimeout === 'number') {
    http1.headersTimeout = limits.headersTimeoutMs; // Fastify passes its http options to node:http only, not to https
    sweepStalledReaders(server, limits.headersTimeoutMs);
  }
  if (!perClient.perRequest) {
    server.on('connection', (socket: Socket) => {
      if (!perClient.connection(socket)) socket.destroy();
    });
  } else {
    app.addHook('onRequest', (request, reply, done) => {
      if (!perClient.gate(request.raw, reply.raw)) {
        reply.header('connection', 'close');
        done(Object.assign(new PlugwayError('PLW_ERR_TOO_MANY_CONNECTIONS', { limit: perClient.max }), { statusCode: 429 }));
        return;
      }
      done();
    });
  }
  app.addHook('preParsing', (request, reply, payload, done) => {
    const guard = new BodyIdleGuard(limits.bodyIdleTimeoutMs);
    // A client that stalls its body does not get to keep the connection after the 408.
    guard.once('error', () => {
      reply.header('connection', 'close');
      reply.raw.once('finish', () => request.raw.socket?.destroy());
    });
    payload.once('error', (err) => guard.destroy(err));
    done(null, payload.pipe(guard));
  });
}

/**
 * Closes connections whose client stopped reading an answer the gateway has finished writing: bytes
 * waiting to go out, no progress for `idleMs`, the answer complete on our side. One interval for
 * the server, not a timer per socket refreshed on every read and write (~0.6 µs a request here),
 * which is what server.setTimeout costs. A request in flight, or an answer still being written
 * (a stream), is left alone, as before.
 */
export function sweepStalledReaders(server: NetServer, idleMs: number): void {
  const open = new Map<Socket, { pending: number; since: number }>();
  // Over TLS the answer is the TLS socket's (its 'connection' is the TCP socket underneath)
  const event = server instanceof TlsServer ? 'secureConnection' : 'connection';
  server.on(event, (socket: Socket) => {
    open.set(socket, { pending: 0, since: 0 });
    socket.once('close', () => open.delete(socket));
  });
  const sweep = (): void => {
    const now = Date.now();
    for (const [socket, seen] of open) {
      const pending = socket.writableLength;
      if (pending === 0 || pending !== seen.pending) {
        seen.pending = pending;
        seen.since = now;
        continue;
      }
      if (now - seen.since < idleMs) continue;
      // the answer being flushed is still the socket's message; an upgraded socket has none (its protocol keeps its own limits)
      const res = (socket as Socket & { _httpMessage?: { writableEnded?: boolean } | null })._httpMessage;
      if (res?.writableEnded) socket.destroy();
    }
  };
  const timer = setInterval(sweep, Math.max(100, Math.min(1000, Math.floor(idleMs / 4))));
  timer.unref();
  server.once('close', () => clearInterval(timer));
}
