// Where a request enters the gateway: the request id, the route lookup, the PluginRequest, then
// the route's compiled steps (pipeline.ts dispatch). Requests that match no route, or that the
// HTTP server refused before a handler (body too large, bad JSON), are answered here.

import { performance } from 'node:perf_hooks';
import type { Socket } from 'node:net';
import { type Duplex, Readable } from 'node:stream';
import { streamOverFastify } from './event-stream.js';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { spliceUpgrade } from './stream-response.js';
import type { PluginRequest } from '../sdk/types.js';
import type { CompiledRoute, GatewayCore } from './core.js';
import { refuse, type HttpFailure } from './http-errors.js';
import type { RequestLine } from './logging.js';
import type { RouteMatch } from './route-table.js';
import { dispatch } from './pipeline.js';
import { requestIdOf } from './request-id.js';
import { elapsedMs } from './steps/accounting.js';
import { sendOutcome } from './steps/send.js';
import { RequestContext, type Exchange } from './steps/context.js';
import { HeldAnswer } from './write-batch.js';

type Headers = PluginRequest['headers'];

/**
 * A Fastify reply as the steps' Exchange. A whole answer is sent with the other answers of this turn
 * of the event loop (write-batch.ts), as the fast path sends its own; a piped body at once.
 */
export class FastifyExchange extends HeldAnswer implements Exchange {
  constructor(
    private readonly request: FastifyRequest,
    private readonly reply: FastifyReply,
  ) {
    super();
  }

  remoteAddress(): string {
    return this.request.raw.socket.remoteAddress ?? 'unknown';
  }

  send(status: number, headers: Record<string, string | number | string[]>, contentType: string | undefined, payload: string | Buffer | Readable | undefined): void {
    if (payload instanceof Readable) this.sendNow(status, headers, contentType, payload);
    else this.hold(status, headers, contentType, payload);
  }

  /** Sends the answer send() queued (WriteBatch calls it at the end of the turn). */
  write(): void {
    try {
      this.sendNow(this.status, this.headers!, this.contentType, this.payload);
    } catch (err) {
      // A header value Node refuses is Fastify's to answer (its 500); anything else must not keep the request open.
      if (!this.reply.sent) this.reply.send(err);
    }
  }

  private sendNow(status: number, headers: Record<string, string | number | string[]>, contentType: string | undefined, payload: string | Buffer | Readable | undefined): void {
    const reply = this.reply;
    reply.code(status);
    reply.headers(headers);
    if (contentType) reply.header('content-type', contentType);
    reply.send(payload);
  }

  upgrade(headers: Record<string, string | number | string[]>, upstream: Duplex): void {
    this.reply.hijack();
    spliceUpgrade(this.request.raw.socket as Socket, String(this.request.headers.upgrade), headers, upstream);
  }

  stream(status: number, headers: Record<string, string | number | string[]>, contentType: string | undefined, body: Readable): void {
    streamOverFastify(this.reply, status, headers, contentType, body);
  }
}

export class RequestEntry {
  /** Lines of requests that matched no route. */
  private readonly noRouteLine: RequestLine;

  constructor(
    private readonly core: GatewayCore,
    /** Mount prefix to strip from request URLs ('' when standalone). */
    private readonly prefix: string,
  ) {
    this.noRouteLine = core.lines.lineOf(null, null);
  }

  pathOf(url: string): string {
    const q = url.indexOf('?');
    let path = q < 0 ? url : url.slice(0, q);
    if (this.prefix && path.startsWith(this.prefix)) path = path.slice(this.prefix.length) || '/';
    return path;
  }

  /**
   * Fastify's handler. It returns nothing, so Fastify waits for reply.send, which comes at the end of
   * the turn the answer was ready in (FastifyExchange); a promise given back would have Fastify send
   * an empty reply as soon as it settled. The dispatcher's promise never rejects.
   */
  handleFastify(request: FastifyRequest, reply: FastifyReply): void {
    const done = this.handle(request.method, request.url, request.headers, request.query as PluginRequest['query'], request.body, new FastifyExchange(request, reply));
    if (done) done.catch(() => undefined);
  }

  /** One request through its route's steps, whatever server it came through. */
  handle(method: string, url: string, headers: Headers, query: PluginRequest['query'], body: unknown, io: Exchange): Promise<void> | undefined {
    const match = this.match(method, url);
    if (!match) {
      const start = performance.now();
      const path = this.pathOf(url);
      const preq: PluginRequest = { id: requestIdOf(headers['x-request-id']), method, path, params: {}, query, headers, body: body ?? undefined, context: {} };
      this.refuse(new RequestContext(preq, io, start), refuse('PLW_ERR_ROUTE_NOT_FOUND', { method, path }));
      return undefined;
    }
    return this.run(match, method, url, headers, query, body, io);
  }

  /**
   * Fastify's onRequest for an embedder's app, before the body is parsed: a route whose runtime
   * streams the body (a remote proxy) is served from here with the request itself as the body.
   * False: not such a route (the handler serves it after parsing).
   */
  handleStreaming(request: FastifyRequest, reply: FastifyReply): boolean {
    const match = this.match(request.method, request.url);
    if (!match?.route.streamsBody) return false;
    void this.run(match, request.method, request.url, request.headers, request.query as PluginRequest['query'], request.raw, new FastifyExchange(request, reply));
    return true;
  }

  /** The route `url` is for (HEAD falls back to GET); undefined when none. */
  match(method: string, url: string): RouteMatch<CompiledRoute> | undefined {
    const path = this.pathOf(url);
    const table = this.core.table;
    return table.find(method, path) ?? (method === 'HEAD' ? table.find('GET', path) : undefined);
  }

  /** Runs a matched route's steps. */
  run(match: RouteMatch<CompiledRoute>, method: string, url: string, headers: Headers, query: PluginRequest['query'], body: unknown, io: Exchange): Promise<void> | undefined {
    const start = performance.now();
    const preq: PluginRequest = { id: requestIdOf(headers['x-request-id']), method, path: this.pathOf(url), params: match.params, query, headers, body: body ?? undefined, context: {} };
    return dispatch(match.route.steps, new RequestContext(preq, io, start));
  }

  /** A request the server refused before its route's steps ran (`route` when the URL matched one). */
  refuseEarly(method: string, url: string, headers: Headers, io: Exchange, f: HttpFailure): void {
    const path = this.pathOf(url);
    const preq: PluginRequest = { id: requestIdOf(headers['x-request-id']), method, path, params: {}, query: {}, headers, context: {} };
    const route = this.core.table.find(method, path)?.route;
    this.refuse(new RequestContext(preq, io, performance.now()), f, route);
  }

  private refuse(ctx: RequestContext, f: HttpFailure, route?: CompiledRoute): void {
    ctx.outcome = f;
    sendOutcome(ctx, f);
    if (route) void route.accounting.leave!(ctx);
    else {
      const p = ctx.preq;
      this.noRouteLine.write(p.id, p.method, p.path, null, elapsedMs(ctx.start), f.status);
    }
  }
}
