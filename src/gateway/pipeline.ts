// The request path: route → request id → middleware → auth → rate limit → onRequest hooks →
// circuit breaker → bulkhead → deadline → handleRequest → middleware on the way out →
// onResponse/onError hooks → metrics + one log line. Steps that do not apply cost nothing.

import { performance } from 'node:perf_hooks';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isPlugwayError, reasonOf } from '../errors.js';
import { BulkheadRejectedError } from '../resilience/bulkhead.js';
import type { CallOptions } from '../runtimes/types.js';
import type { RateDecision } from '../resilience/rate-limit.js';
import type { PluginRequest, PluginResponse, Principal } from '../sdk/types.js';
import type { CompiledRoute, GatewayCore } from './core.js';
import { countsAsPluginFailure, errorBody, failure, failureFromCall, refuse, type HttpFailure } from './http-errors.js';
import { asPrincipal, hasAnyRole, hasPermission, splitPermission } from './rbac.js';
import { toWireResponse, type WireResponse } from './response.js';
import { requestLines, type RequestLine } from './logging.js';
import { requestIdOf } from './request-id.js';
import { discardBody, spliceUpgrade } from './stream-response.js';

const JSON_TYPE = 'application/json; charset=utf-8';

function isFailure(x: WireResponse | HttpFailure): x is HttpFailure {
  return (x as HttpFailure).code !== undefined;
}

type Outcome = WireResponse | HttpFailure;
/** A step's result: the value at once when every plugin on the way answered synchronously. */
type Maybe<T> = T | Promise<T>;

/** One request on its way through a route: what the steps share. */
class Flow {
  /** The plugin response so far (the handler's, a short-circuiting middleware's, or a replacement on the way out). */
  res: PluginResponse | undefined = undefined;
  wire: WireResponse | undefined = undefined;
  /** The call's options; the host writes the version that served it into `servedBy`. */
  options: CallOptions | undefined = undefined;
  constructor(
    readonly route: CompiledRoute,
    readonly preq: PluginRequest,
    readonly request: FastifyRequest,
    readonly reply: FastifyReply,
    readonly start: number,
  ) {}
}

/**
 * The steps below run synchronously as long as every plugin answers synchronously (in-process
 * plugins usually do): no promise, timer or closure per request unless a step needs one. The
 * first promise a plugin returns continues the rest of the way in its `then`.
 */
export class Pipeline {
  /** A plugin version's request lines (logging.ts: straight to the destination when the gateway made the logger). */
  private readonly lineOf: (pluginId: string | null, version: string | null) => RequestLine;
  /** Lines of requests that matched no route. */
  private readonly noRouteLine: RequestLine;

  constructor(
    private readonly core: GatewayCore,
    /** Mount prefix to strip from request URLs ('' when standalone). */
    private readonly prefix: string,
  ) {
    this.lineOf = requestLines(core.logger);
    this.noRouteLine = this.lineOf(null, null);
  }

  pathOf(url: string): string {
    const q = url.indexOf('?');
    let path = q < 0 ? url : url.slice(0, q);
    if (this.prefix && path.startsWith(this.prefix)) path = path.slice(this.prefix.length) || '/';
    return path;
  }

  /** Fastify's handler: undefined when the reply was sent synchronously, else a promise of it. */
  handle(request: FastifyRequest, reply: FastifyReply): Promise<void> | undefined {
    const start = performance.now();
    const rid = requestIdOf(request.headers['x-request-id']);
    reply.header('x-request-id', rid);
    const method = request.method;
    const path = this.pathOf(request.url);
    const table = this.core.table;
    const match = table.find(method, path) ?? (method === 'HEAD' ? table.find('GET', path) : undefined);
    if (!match) {
      const f = refuse('PLW_ERR_ROUTE_NOT_FOUND', { method, path });
      this.sendFailure(reply, f, rid);
      this.finish(undefined, rid, method, path, null, f.status, start);
      return undefined;
    }
    const preq: PluginRequest = {
      id: rid,
      method,
      path,
      params: match.params,
      query: request.query as Record<string, string | string[]>,
      headers: request.headers,
      // a runtime that streams the body gets the request itself, unread (see handleStreaming)
      body: match.route.streamsBody ? request.raw : (request.body ?? undefined),
      context: {},
    };
    const flow = new Flow(match.route, preq, request, reply, start);
    let out: Maybe<Outcome>;
    try {
      out = this.run(flow);
    } catch (err) {
      out = failureFromCall(err);
    }
    if (out instanceof Promise) {
      return out.then(
        (o) => this.respond(flow, o),
        (err: unknown) => this.respond(flow, failureFromCall(err)),
      );
    }
    return this.respond(flow, out);
  }

  /**
   * Fastify's onRequest, before the body is parsed: a route whose runtime streams the body
   * (a remote proxy) is served from here, so its body is never read whole. False: not such a route.
   */
  handleStreaming(request: FastifyRequest, reply: FastifyReply): boolean {
    const path = this.pathOf(request.url);
    const table = this.core.table;
    const match = table.find(request.method, path) ?? (request.method === 'HEAD' ? table.find('GET', path) : undefined);
    if (!match?.route.streamsBody) return false;
    void this.handle(request, reply);
    return true;
  }

  /** Hooks, then the reply, then metrics and the log line. */
  private respond(f: Flow, out: Outcome): Promise<void> | undefined {
    const { route, preq, reply } = f;
    const hooks = this.core.host.hooks;
    const userId = preq.userId ?? null;
    if (isFailure(out)) {
      route.metrics.error(out.code);
      if (hooks.has('onError')) {
        return this.hook('onError', { pluginId: route.pluginId, request: preq, status: out.status, error: { code: out.code, message: out.message } }).then(() => {
          this.sendFailure(reply, out, preq.id);
          this.finish(route, preq.id, preq.method, preq.path, userId, out.status, f.start, f.options?.servedBy);
        });
      }
      this.sendFailure(reply, out, preq.id);
    } else {
      if (hooks.has('onResponse')) {
        return this.hook('onResponse', { pluginId: route.pluginId, request: preq, response: { statusCode: out.status, headers: out.headers } }).then(() => {
          this.send(reply, out);
          this.finish(route, preq.id, preq.method, preq.path, userId, out.status, f.start, f.options?.servedBy);
        });
      }
      this.send(reply, out);
    }
    this.finish(route, preq.id, preq.method, preq.path, userId, out.status, f.start, f.options?.servedBy);
    return undefined;
  }

  private send(reply: FastifyReply, out: WireResponse): void {
    if (out.upgrade) return spliceUpgrade(reply, out.headers, out.upgrade);
    reply.code(out.status);
    if (out.headers) reply.headers(out.headers);
    if (out.contentType) reply.header('content-type', out.contentType);
    reply.send(out.payload);
  }

  private run(f: Flow): Maybe<Outcome> {
    const host = this.core.host;
    const id = f.route.pluginId;
    if (!host.isEnabled(id)) return refuse('PLW_ERR_PLUGIN_DISABLED', { id });
    const inst = host.get(id);
    if (!inst || inst.state !== 'running') return refuse('PLW_ERR_PLUGIN_NOT_RUNNING', { id, state: inst?.state ?? 'unregistered' });
    return this.middlewareIn(f, 0);
  }

  /** Middleware on the way in, from index `from`; one that answers short-circuits to the way out. */
  private middlewareIn(f: Flow, from: number): Maybe<Outcome> {
    const mw = f.route.middleware;
    const host = this.core.host;
    for (let i = from; i < mw.length; i++) {
      const step = mw[i]!;
      if (!step.onRequest) continue;
      const r = host.invoke<PluginResponse | undefined>(step.id, 'onRequest', [f.preq]);
      if (r instanceof Promise) return r.then((v) => (this.answeredBy(f, step.id, v) ? this.middlewareOut(f, i - 1) : this.middlewareIn(f, i + 1)));
      // The way out starts below the one that answered.
      if (this.answeredBy(f, step.id, r)) return this.middlewareOut(f, i - 1);
    }
    return this.admit(f);
  }

  /** Whether a middleware answered (and the answer is now the response). */
  private answeredBy(f: Flow, id: string, r: PluginResponse | undefined): boolean {
    if (r === undefined || r === null) return false;
    if (f.res !== undefined) discardBody(f.res, r);
    f.wire = toWireResponse(id, r, this.core.maxResponseBytes);
    f.res = r;
    return true;
  }

  /** Auth, then the rate limit, then onRequest hooks. */
  private admit(f: Flow): Maybe<Outcome> {
    const route = f.route;
    if (route.auth !== 'none' || route.needsPrincipal) {
      const denied = this.authenticate(route, f.preq);
      if (denied instanceof Promise) return denied.then((d) => d ?? this.limit(f));
      if (denied) return denied;
    }
    return this.limit(f);
  }

  private limit(f: Flow): Maybe<Outcome> {
    if (!f.route.limiter) return this.hooked(f);
    const limited = this.rateLimit(f.route, f.preq, f.request, f.reply);
    if (limited instanceof Promise) return limited.then((l) => l ?? this.hooked(f));
    return limited ?? this.hooked(f);
  }

  private hooked(f: Flow): Maybe<Outcome> {
    if (this.core.host.hooks.has('onRequest')) return this.hook('onRequest', { pluginId: f.route.pluginId, request: f.preq }).then(() => this.call(f));
    return this.call(f);
  }

  /** Circuit breaker → bulkhead → deadline → handleRequest. */
  private call(f: Flow): Maybe<Outcome> {
    const { route, preq } = f;
    const guard = route.guard;
    const id = route.pluginId;
    if (!guard.breaker.tryAcquire()) {
      const retryAfter = guard.breaker.retryAfterSec();
      return refuse('PLW_ERR_CIRCUIT_OPEN', { id, retryAfter }, { 'retry-after': String(retryAfter) });
    }
    const host = this.core.host;
    // The deadline starts now: time waiting in the bulkhead's queue counts.
    const options: CallOptions = { deadline: Date.now() + route.timeoutMs };
    f.options = options;
    let r: unknown;
    try {
      r = guard.bulkhead.run(() => host.invoke(id, 'handleRequest', [preq], options));
    } catch (err) {
      return this.callFailed(f, err);
    }
    if (r instanceof Promise) {
      return r.then(
        (v) => this.handled(f, v),
        (err: unknown) => this.callFailed(f, err),
      );
    }
    return this.handled(f, r);
  }

  private handled(f: Flow, r: unknown): Maybe<Outcome> {
    const guard = f.route.guard;
    try {
      f.wire = toWireResponse(f.route.pluginId, r, this.core.maxResponseBytes);
    } catch (err) {
      guard.breaker.failure();
      discardBody(r);
      return failureFromCall(err);
    }
    guard.breaker.success();
    f.res = r as PluginResponse;
    return this.middlewareOut(f, f.route.middleware.length - 1);
  }

  private callFailed(f: Flow, err: unknown): HttpFailure {
    const guard = f.route.guard;
    const id = f.route.pluginId;
    if (err instanceof BulkheadRejectedError) {
      guard.breaker.release();
      this.core.metrics.bulkheadRejected.labels(id).inc();
      return refuse('PLW_ERR_BULKHEAD_FULL', { id, limit: guard.bulkhead.settings.maxConcurrent }, { 'retry-after': '1' });
    }
    const fl = failureFromCall(err);
    if (countsAsPluginFailure(fl.code, fl.status)) guard.breaker.failure();
    else guard.breaker.release();
    if (fl.status >= 500) this.core.logger.warn({ plugin_id: id, request_id: f.preq.id, err: { code: fl.code, message: fl.message } }, 'plugin call failed');
    // What a plugin threw may carry anything (a connection string, a query): it goes to the log, not to the client.
    if (fl.status === 500) return { ...fl, message: `Plugin ${id} failed while handling the request; the gateway log has the reason under this request id` };
    return fl;
  }

  /** Middleware on the way out, lowest priority first, from index `from` down; each may replace the response. */
  private middlewareOut(f: Flow, from: number): Maybe<Outcome> {
    const mw = f.route.middleware;
    const host = this.core.host;
    for (let i = from; i >= 0; i--) {
      const step = mw[i]!;
      if (!step.onResponse) continue;
      const r = host.invoke<PluginResponse | undefined>(step.id, 'onResponse', [f.preq, f.res]);
      if (r instanceof Promise) {
        return r.then((v) => {
          this.answeredBy(f, step.id, v);
          return this.middlewareOut(f, i - 1);
        });
      }
      this.answeredBy(f, step.id, r);
    }
    return f.wire!;
  }

  private authenticate(route: CompiledRoute, preq: PluginRequest): Maybe<HttpFailure | undefined> {
    let r: unknown;
    try {
      r = this.core.host.invoke(this.core.authPluginId!, 'authenticate', [preq]);
    } catch (err) {
      return this.authFailed(route, preq, err);
    }
    if (r instanceof Promise) {
      return r.then(
        (v) => this.authorize(route, preq, asPrincipal(v)),
        (err: unknown) => this.authFailed(route, preq, err),
      );
    }
    return this.authorize(route, preq, asPrincipal(r));
  }

  private authFailed(route: CompiledRoute, preq: PluginRequest, err: unknown): Maybe<HttpFailure | undefined> {
    const authId = this.core.authPluginId!;
    if (isPlugwayError(err) && (err.code === 'PLW_ERR_PLUGIN_NOT_RUNNING' || err.code === 'PLW_ERR_PLUGIN_DISABLED' || err.code === 'PLW_ERR_PLUGIN_NOT_FOUND')) {
      return refuse('PLW_ERR_SERVICE_UNAVAILABLE', { id: route.pluginId, service: authId, reason: err.message }, { 'retry-after': '5' }, 503);
    }
    // A throwing auth plugin means the credentials could not be accepted.
    this.core.logger.warn({ plugin_id: authId, request_id: preq.id, err: { message: reasonOf(err) } }, 'authenticate failed');
    return this.authorize(route, preq, null);
  }

  private authorize(route: CompiledRoute, preq: PluginRequest, principal: Principal | null): Maybe<HttpFailure | undefined> {
    if (principal) {
      preq.user = principal;
      preq.userId = principal.id;
    } else {
      if (route.auth === 'optional' && !route.needsPrincipal) return undefined;
      const presented = preq.headers.authorization !== undefined;
      const challenge = presented ? 'Bearer realm="plugway", error="invalid_token"' : 'Bearer realm="plugway"';
      const reason = presented ? 'the credentials were not accepted' : 'send Authorization: Bearer <token>';
      return refuse('PLW_ERR_UNAUTHENTICATED', { reason }, { 'www-authenticate': challenge });
    }
    if (!route.needsPrincipal) return undefined;
    if (!hasAnyRole(principal, route.pluginRoles)) return forbid(`plugin ${route.pluginId} admits roles ${route.pluginRoles.join(', ')}`);
    if (!hasAnyRole(principal, route.roles)) return forbid(`${route.def.method} ${route.def.path} needs one of the roles ${route.roles.join(', ')}`);
    if (route.permissions.length === 0) return undefined;
    const authId = this.core.authPluginId!;
    if (this.core.host.get(authId)?.runtime?.implements('authorize') ?? false) return this.authorizeByPlugin(route, principal);
    for (const perm of route.permissions) if (!hasPermission(principal, perm)) return forbid(`${route.def.method} ${route.def.path} needs permission ${perm}`);
    return undefined;
  }

  /** Permissions decided by the auth plugin's authorize(principal, resource, action), all of them. */
  private async authorizeByPlugin(route: CompiledRoute, principal: Principal): Promise<HttpFailure | undefined> {
    const authId = this.core.authPluginId!;
    for (const perm of route.permissions) {
      const { resource, action } = splitPermission(perm);
      if ((await this.core.host.call(authId, 'authorize', [principal, resource, action])) !== true) return forbid(`${route.def.method} ${route.def.path} needs permission ${perm}`);
    }
    return undefined;
  }

  /** The memory store decides at once; Redis answers with a promise. */
  private rateLimit(route: CompiledRoute, preq: PluginRequest, request: FastifyRequest, reply: FastifyReply): Maybe<HttpFailure | undefined> {
    const key = preq.userId !== undefined ? `u:${preq.userId}` : `ip:${this.clientIp(request)}`;
    let d: Maybe<RateDecision>;
    try {
      d = route.limiter!.consume(key);
    } catch (err) {
      return this.limitStoreFailed(route, err);
    }
    if (d instanceof Promise) {
      return d.then(
        (v) => this.applyLimit(route, reply, v),
        (err: unknown) => this.limitStoreFailed(route, err),
      );
    }
    return this.applyLimit(route, reply, d);
  }

  /** The store failed and its insurance too: let the request through rather than fail it. */
  private limitStoreFailed(route: CompiledRoute, err: unknown): undefined {
    this.core.logger.warn({ plugin_id: route.pluginId, err: { message: reasonOf(err) } }, 'rate limit store failed; request let through');
    return undefined;
  }

  private applyLimit(route: CompiledRoute, reply: FastifyReply, d: RateDecision): HttpFailure | undefined {
    reply.header('ratelimit-limit', d.limit);
    reply.header('ratelimit-remaining', d.remaining);
    reply.header('ratelimit-reset', d.resetSec);
    if (d.allowed) return undefined;
    route.metrics.rateLimited();
    return refuse('PLW_ERR_RATE_LIMITED', { limit: route.limiter!.spec.raw, retryAfter: d.retryAfterSec }, { 'retry-after': String(d.retryAfterSec) });
  }

  clientIp(request: FastifyRequest): string {
    if (this.core.trustProxy) {
      const xff = request.headers['x-forwarded-for'];
      const first = (Array.isArray(xff) ? xff[0] : xff)?.split(',')[0]?.trim();
      if (first) return first;
      const real = request.headers['x-real-ip'];
      if (typeof real === 'string' && real) return real.trim();
    }
    return request.raw.socket.remoteAddress ?? 'unknown';
  }

  private async hook(name: 'onRequest' | 'onResponse' | 'onError', payload: unknown): Promise<void> {
    const t = performance.now();
    try {
      await this.core.host.hooks.run(name, payload);
    } catch (err) {
      this.core.logger.warn({ hook: name, err: { message: reasonOf(err) } }, 'hook run failed');
    }
    this.core.metrics.hook(name, (performance.now() - t) / 1000);
  }

  sendFailure(reply: FastifyReply, f: HttpFailure, rid: string): void {
    reply.code(f.status);
    if (f.headers) reply.headers(f.headers);
    reply.header('content-type', JSON_TYPE);
    reply.send(errorBody(f, rid));
  }

  /** Metrics and the one log line of a request (through the route's child logger: plugin_id and version serialized once). */
  finish(route: CompiledRoute | undefined, rid: string, method: string, path: string, userId: string | null, status: number, start: number, servedBy?: string): void {
    const ms = performance.now() - start;
    const responseTimeMs = Math.round(ms * 1000) / 1000;
    if (!route) {
      this.noRouteLine.write(rid, method, path, userId, responseTimeMs, status);
      return;
    }
    route.metrics.observe(status, ms / 1000);
    this.lineFor(route, servedBy).write(rid, method, path, userId, responseTimeMs, status);
  }

  /** The route's request lines for the version that served (a canary's), else the active one. */
  private lineFor(route: CompiledRoute, servedBy: string | undefined): RequestLine {
    const version = servedBy ?? this.core.host.get(route.pluginId)?.version ?? null;
    const lines = (route.lines ??= new Map());
    let line = lines.get(version);
    if (!line) {
      if (lines.size >= 8) lines.clear(); // versions come and go with reloads
      line = this.lineOf(route.pluginId, version);
      lines.set(version, line);
    }
    return line;
  }
}

function forbid(reason: string): HttpFailure {
  return refuse('PLW_ERR_FORBIDDEN', { reason }, { 'www-authenticate': 'Bearer realm="plugway", error="insufficient_scope"' });
}
