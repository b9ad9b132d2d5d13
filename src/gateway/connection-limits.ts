// Slow-client defences on the gateway's own server: open connections in all and per client IP,
// and an idle limit between the chunks of a request body (Node's requestTimeout and headersTimeout,
// set in the server options, bound the whole request and its headers).

import type { FastifyInstance } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { clientIpOf } from './client-ip.js';
import type { Socket } from 'node:net';
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
  // Node's headersTimeout starts with a request's first byte: a connection that sends nothing would
  // be kept forever. Idle that long without a request in flight, it is closed; one whose request is
  // in flight (a plugin working, a body arriving) is left alone, which Node's own timeout would not do.
  // HTTP/1 servers only (node:http, and https with gateway.tls): an HTTP/2 server's timeout is per
  // session, whose streams may be busy, and Fastify creates it without these options.
  const http1 = server as typeof server & { headersTimeout?: number };
  if (typeof http1.headersTimeout === 'number') {
    http1.headersTimeout = limits.headersTimeoutMs; // Fastify passes its http options to node:http only, not to https
    server.setTimeout(limits.headersTimeoutMs);
    server.on('timeout', (socket: Socket & { _httpMessage?: { writableEnded?: boolean } | null }) => {
      const res = socket._httpMessage;
      if (!res || res.writableEnded) socket.destroy();
    });
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
