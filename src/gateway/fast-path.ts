// The standalone gateway's own dispatch on node:http: a request without a body for a plugin route
// goes from the socket straight to its compiled steps (find-my-way lookup, fast-querystring, one
// writeHead + end, written with the other answers of the same turn of the event loop: write-batch.ts),
// without Fastify's request/reply objects. Everything else (bodies, /health,
// /admin, the dashboard, unknown paths, a server closing) is handed to Fastify, which an embedder
// keeps using as before. docs/gateway.md has the numbers that made this worth it.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { streamOverNode } from './event-stream.js';
import querystring from 'fast-querystring';
import type { FastifyServerOptions } from 'fastify';
import { errorBody } from './http-errors.js';
import { refuse } from './http-errors.js';
import type { RequestEntry } from './request-entry.js';
import { requestIdOf } from './request-id.js';
import type { Exchange } from './steps/context.js';
import { Readable, type Duplex } from 'node:stream';
import { spliceUpgrade, writeStream } from './stream-response.js';
import { HeldAnswer } from './write-batch.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * The steps' Exchange over a node:http response: the whole answer in one writeHead + end, written
 * with the other answers of this turn of the event loop (write-batch.ts).
 */
class NodeExchange extends HeldAnswer implements Exchange {
  constructor(
    private readonly req: IncomingMessage,
    private readonly res: ServerResponse,
    private readonly fast: FastPath,
  ) {
    super();
  }

  remoteAddress(): string {
    return this.req.socket.remoteAddress ?? 'unknown';
  }

  send(status: number, headers: Record<string, string | number | string[]>, contentType: string | undefined, payload: string | Buffer | Readable | undefined): void {
    if (contentType) headers['content-type'] = contentType;
    if (payload instanceof Readable) {
      if (this.fast.closing) headers.connection = 'close';
      writeStream(this.res, status, headers, payload);
      return;
    }
    this.hold(status, headers, undefined, payload);
  }

  /** Writes the answer send() queued (WriteBatch calls it at the end of the turn). */
  write(): void {
    const res = this.res;
    const headers = this.headers!;
    const payload = this.payload;
    // Answered while the gateway closes (the request came in before): the connection goes with it,
    // or the close would wait out its keep-alive timeout.
    if (this.fast.closing) headers.connection = 'close';
    headers['content-length'] = payload === undefined ? 0 : typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
    try {
      res.writeHead(this.status, headers);
    } catch (err) {
      // A header value Node refuses (a control character from a plugin): the gateway's 500 instead.
      const body = errorBody(refuse('PLW_ERR_INTERNAL', { reason: (err as Error).message }), String(headers['x-request-id'] ?? ''));
      res.writeHead(500, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), 'x-request-id': String(headers['x-request-id'] ?? '') });
      res.end(body);
      return;
    }
    res.end(payload);
  }

  upgrade(headers: Record<string, string | number | string[]>, upstream: Duplex): void {
    // the socket came from the server's 'upgrade' event (upgrade.ts): no HTTP parser reads it any more
    this.res.detachSocket(this.req.socket);
    spliceUpgrade(this.req.socket, String(this.req.headers.upgrade), headers, upstream);
  }

  stream(status: number, headers: Record<string, string | number | string[]>, contentType: string | undefined, body: Readable): void {
    if (this.fast.closing) headers.connection = 'close';
    streamOverNode(this.res, status, headers, contentType, body);
  }
}

/** Whether a request carries a body (those go through Fastify's parsers and limits). */
function hasBody(req: IncomingMessage): boolean {
  const h = req.headers;
  if (h['transfer-encoding'] !== undefined) return true;
  const len = h['content-length'];
  return len !== undefined && len !== '0';
}

export class FastPath {
  /** close() was called: every answer from now on closes its connection. */
  closing = false;
  private fastify: Handler | undefined;

  constructor(
    private readonly entry: RequestEntry,
    /** Admits a request before it is served here (the per-client limit); false leaves it to Fastify, which refuses it. */
    private readonly gate?: (req: IncomingMessage, res: ServerResponse) => boolean,
  ) {}

  /** From now on every request is answered 503 PLW_ERR_SHUTTING_DOWN (in the gateway's error shape, not Fastify's). */
  close(): void {
    this.closing = true;
  }

  /** Fastify's serverFactory: a node:http server that serves plugin routes itself. */
  serverFactory = (fastify: Handler, opts: FastifyServerOptions): Server => {
    this.fastify = fastify;
    // Fastify's `http` options (headersTimeout, maxHeaderSize, …: the slow-client limits) apply here too.
    const server = createServer((opts as { http?: object }).http ?? {}, (req, res) => {
      if (this.closing) return void shuttingDown(req, res);
      // a request with a body goes to Fastify's parsers and limits, unless its route streams it (serve)
      if (!this.serve(req, res)) fastify(req, res);
    });
    if (opts.keepAliveTimeout !== undefined) server.keepAliveTimeout = opts.keepAliveTimeout;
    if (opts.requestTimeout !== undefined) server.requestTimeout = opts.requestTimeout;
    if (opts.connectionTimeout !== undefined) server.setTimeout(opts.connectionTimeout);
    return server;
  };

  /** A request that arrived another way (an upgrade, upgrade.ts): served here, else by Fastify. */
  handle = (req: IncomingMessage, res: ServerResponse): void => {
    if (this.closing || !this.serve(req, res)) this.fastify!(req, res);
  };

  /**
   * Serves `req` when it is for a plugin route and carries no body, or when its route streams the
   * body (a remote proxy: the request itself is the body, unread); false leaves it to Fastify.
   */
  private serve(req: IncomingMessage, res: ServerResponse): boolean {
    const url = req.url!;
    const method = req.method!;
    const q = url.indexOf('?');
    let match;
    try {
      match = this.entry.match(method, url);
    } catch {
      return false; // a URL the router cannot read (bad percent-encoding): Fastify's frameworkErrors answer it
    }
    if (!match) return false;
    const streams = match.route.streamsBody;
    if (!streams && hasBody(req)) return false;
    if (this.gate && !this.gate(req, res)) return false;
    const query = q < 0 || q === url.length - 1 ? {} : (querystring.parse(url.slice(q + 1)) as Record<string, string | string[]>);
    const done = this.entry.run(match, method, url, req.headers, query, streams ? req : undefined, new NodeExchange(req, res, this));
    if (done) done.catch(() => undefined); // the dispatcher settles every promise it makes; nothing reaches here
    return true;
  }
}

/** A request that arrives while the gateway closes (pipelined, or on a busy keep-alive connection). */
function shuttingDown(req: IncomingMessage, res: ServerResponse): void {
  const rid = requestIdOf(req.headers['x-request-id']);
  const body = errorBody(refuse('PLW_ERR_SHUTTING_DOWN', {}), rid);
  res.writeHead(503, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), 'x-request-id': rid, 'retry-after': '1', connection: 'close' });
  res.end(body);
}
