// The request path: route → request id → middleware → auth → rate limit → onRequest hooks →
// circuit breaker → bulkhead → deadline → handleRequest → middleware on the way out →
// onResponse/onError hooks → metrics + one log line. Steps that do not apply cost nothing.

import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isPlugwayError, PlugwayError, reasonOf } from '../errors.js';
import { BulkheadRejectedError } from '../resilience/bulkhead.js';
import type { PluginRequest, PluginResponse, Principal } from '../sdk/types.js';
import type { CompiledRoute, GatewayCore } from './core.js';
import { countsAsPluginFailure, errorBody, failure, failureFromCall, type HttpFailure } from './http-errors.js';
import { asPrincipal, hasAnyRole, hasPermission, splitPermission } from './rbac.js';
import { toWireResponse, type WireResponse } from './response.js';

const REQUEST_ID = /^[\w.:@/+=-]{1,200}$/;
const JSON_TYPE = 'application/json; charset=utf-8';

export function requestIdOf(header: string | string[] | undefined): string {
  return typeof header === 'string' && REQUEST_ID.test(header) ? header : randomUUID();
}

function isFailure(x: WireResponse | HttpFailure): x is HttpFailure {
  return (x as HttpFailure).code !== undefined;
}

export class Pipeline {
  constructor(
    private readonly core: GatewayCore,
    /** Mount prefix to strip from request URLs ('' when standalone). */
    private readonly prefix: string,
  ) {}

  pathOf(url: string): string {
    const q = url.indexOf('?');
    let path = q < 0 ? url : url.slice(0, q);
    if (this.prefix && path.startsWith(this.prefix)) path = path.slice(this.prefix.length) || '/';
    return path;
  }

  async handle(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const start = performance.now();
    const rid = requestIdOf(request.headers['x-request-id']);
    reply.header('x-request-id', rid);
    const method = request.method;
    const path = this.pathOf(request.url);
    const table = this.core.table;
    const match = table.find(method, path) ?? (method === 'HEAD' ? table.find('GET', path) : undefined);
    if (!match) {
      const f = failure(new PlugwayError('PLW_ERR_ROUTE_NOT_FOUND', { method, path }));
      this.sendFailure(reply, f, rid);
      this.finish(undefined, rid, method, path, null, f.status, start);
      return;
    }
    const route = match.route;
    const preq: PluginRequest = {
      id: rid,
      method,
      path,
      params: match.params,
      query: request.query as Record<string, string | string[]>,
      headers: request.headers,
      body: request.body ?? undefined,
      context: {},
    };
    let out: WireResponse | HttpFailure;
    try {
      out = await this.run(route, preq, request, reply);
    } catch (err) {
      out = failureFromCall(err);
    }
    const userId = preq.userId ?? null;
    if (isFailure(out)) {
      route.metrics.error(out.code);
      if (this.core.host.hooks.has('onError')) {
        await this.hook('onError', { pluginId: route.pluginId, request: preq, status: out.status, error: { code: out.code, message: out.message } });
      }
      this.sendFailure(reply, out, rid);
    } else {
      if (this.core.host.hooks.has('onResponse')) {
        await this.hook('onResponse', { pluginId: route.pluginId, request: preq, response: { statusCode: out.status, headers: out.headers } });
      }
      reply.code(out.status);
      if (out.headers) reply.headers(out.headers);
      if (out.contentType) reply.header('content-type', out.contentType);
      reply.send(out.payload);
    }
    this.finish(route, rid, method, path, userId, out.status, start);
  }

  private async run(route: CompiledRoute, preq: PluginRequest, request: FastifyRequest, reply: FastifyReply): Promise<WireResponse | HttpFailure> {
    const core = this.core;
    const host = core.host;
    const id = route.pluginId;
    if (!host.isEnabled(id)) return failure(new PlugwayError('PLW_ERR_PLUGIN_DISABLED', { id }));
    const inst = host.get(id);
    if (!inst || inst.state !== 'running') return failure(new PlugwayError('PLW_ERR_PLUGIN_NOT_RUNNING', { id, state: inst?.state ?? 'unregistered' }));

    // Middleware on the way in; `ran` is how many were passed (the way out walks them back).
    const mw = route.middleware;
    let ran = mw.length;
    let res: PluginResponse | undefined;
    let wire: WireResponse | undefined;
    for (let i = 0; i < mw.length; i++) {
      const step = mw[i]!;
      if (!step.onRequest) continue;
      const r = await host.call<PluginResponse | undefined>(step.id, 'onRequest', [preq]);
      if (r !== undefined && r !== null) {
        wire = toWireResponse(step.id, r, core.maxResponseBytes);
        res = r;
        ran = i;
        break;
      }
    }

    if (!res) {
      if (route.auth !== 'none' || route.needsPrincipal) {
        const denied = await this.authenticate(route, preq, reply);
        if (denied) return denied;
      }
      if (route.limiter) {
        const limited = await this.rateLimit(route, preq, request, reply);
        if (limited) return limited;
      }
      if (host.hooks.has('onRequest')) await this.hook('onRequest', { pluginId: id, request: preq });

      const guard = route.guard;
      if (!guard.breaker.tryAcquire()) {
        const retryAfter = guard.breaker.retryAfterSec();
        return failure(new PlugwayError('PLW_ERR_CIRCUIT_OPEN', { id, retryAfter }), { 'retry-after': String(retryAfter) });
      }
      let r: unknown;
      try {
        const deadline = Date.now() + route.timeoutMs;
        r = await guard.bulkhead.execute(() => host.call(id, 'handleRequest', [preq], { deadline }));
      } catch (err) {
        if (err instanceof BulkheadRejectedError) {
          guard.breaker.release();
          core.metrics.bulkheadRejected.labels(id).inc();
          return failure(new PlugwayError('PLW_ERR_BULKHEAD_FULL', { id, limit: guard.bulkhead.settings.maxConcurrent }), { 'retry-after': '1' });
        }
        const f = failureFromCall(err);
        if (countsAsPluginFailure(f.code, f.status)) guard.breaker.failure();
        else guard.breaker.release();
        if (f.status >= 500) core.logger.warn({ plugin_id: id, request_id: preq.id, err: { code: f.code, message: f.message } }, 'plugin call failed');
        return f;
      }
      try {
        wire = toWireResponse(id, r, core.maxResponseBytes);
      } catch (err) {
        guard.breaker.failure();
        return failureFromCall(err);
      }
      guard.breaker.success();
      res = r as PluginResponse;
    }

    // Middleware on the way out, lowest priority first.
    for (let i = ran - 1; i >= 0; i--) {
      const step = mw[i]!;
      if (!step.onResponse) continue;
      const r: PluginResponse | undefined = await host.call<PluginResponse | undefined>(step.id, 'onResponse', [preq, res]);
      if (r !== undefined && r !== null) {
        wire = toWireResponse(step.id, r, core.maxResponseBytes);
        res = r;
      }
    }
    return wire!;
  }

  private async authenticate(route: CompiledRoute, preq: PluginRequest, reply: FastifyReply): Promise<HttpFailure | undefined> {
    const host = this.core.host;
    const authId = this.core.authPluginId!;
    let principal: Principal | null = null;
    try {
      principal = asPrincipal(await host.call(authId, 'authenticate', [preq]));
    } catch (err) {
      if (isPlugwayError(err) && (err.code === 'PLW_ERR_PLUGIN_NOT_RUNNING' || err.code === 'PLW_ERR_PLUGIN_DISABLED' || err.code === 'PLW_ERR_PLUGIN_NOT_FOUND')) {
        return failure(new PlugwayError('PLW_ERR_SERVICE_UNAVAILABLE', { id: route.pluginId, service: authId, reason: err.message }), { 'retry-after': '5' }, 503);
      }
      // A throwing auth plugin means the credentials could not be accepted.
      this.core.logger.warn({ plugin_id: authId, request_id: preq.id, err: { message: reasonOf(err) } }, 'authenticate failed');
    }
    if (principal) {
      preq.user = principal;
      preq.userId = principal.id;
    } else {
      if (route.auth === 'optional' && !route.needsPrincipal) return undefined;
      const presented = preq.headers.authorization !== undefined;
      const challenge = presented ? 'Bearer realm="plugway", error="invalid_token"' : 'Bearer realm="plugway"';
      const reason = presented ? 'the credentials were not accepted' : 'send Authorization: Bearer <token>';
      return failure(new PlugwayError('PLW_ERR_UNAUTHENTICATED', { reason }), { 'www-authenticate': challenge });
    }
    if (!route.needsPrincipal) return undefined;
    const forbid = (reason: string) =>
      failure(new PlugwayError('PLW_ERR_FORBIDDEN', { reason }), { 'www-authenticate': 'Bearer realm="plugway", error="insufficient_scope"' });
    if (!hasAnyRole(principal, route.pluginRoles)) return forbid(`plugin ${route.pluginId} admits roles ${route.pluginRoles.join(', ')}`);
    if (!hasAnyRole(principal, route.roles)) return forbid(`${route.def.method} ${route.def.path} needs one of the roles ${route.roles.join(', ')}`);
    if (route.permissions.length > 0) {
      const custom = host.get(authId)?.runtime?.implements('authorize') ?? false;
      for (const perm of route.permissions) {
        let ok: boolean;
        if (custom) {
          const { resource, action } = splitPermission(perm);
          ok = (await host.call(authId, 'authorize', [principal, resource, action])) === true;
        } else ok = hasPermission(principal, perm);
        if (!ok) return forbid(`${route.def.method} ${route.def.path} needs permission ${perm}`);
      }
    }
    return undefined;
  }

  private async rateLimit(route: CompiledRoute, preq: PluginRequest, request: FastifyRequest, reply: FastifyReply): Promise<HttpFailure | undefined> {
    const key = preq.userId !== undefined ? `u:${preq.userId}` : `ip:${this.clientIp(request)}`;
    let d;
    try {
      d = await route.limiter!.consume(key);
    } catch (err) {
      // The store failed and its insurance too: let the request through rather than fail it.
      this.core.logger.warn({ plugin_id: route.pluginId, err: { message: reasonOf(err) } }, 'rate limit store failed; request let through');
      return undefined;
    }
    reply.header('ratelimit-limit', d.limit);
    reply.header('ratelimit-remaining', d.remaining);
    reply.header('ratelimit-reset', d.resetSec);
    if (d.allowed) return undefined;
    route.metrics.rateLimited();
    return failure(new PlugwayError('PLW_ERR_RATE_LIMITED', { limit: route.limiter!.spec.raw, retryAfter: d.retryAfterSec }), { 'retry-after': String(d.retryAfterSec) });
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

  /** Metrics and the one log line of a request. */
  finish(route: CompiledRoute | undefined, rid: string, method: string, path: string, userId: string | null, status: number, start: number): void {
    const ms = performance.now() - start;
    route?.metrics.observe(status, ms / 1000);
    const inst = route ? this.core.host.get(route.pluginId) : undefined;
    this.core.logger.info({
      plugin_id: route?.pluginId ?? null,
      version: inst?.version ?? null,
      request_id: rid,
      method,
      path,
      user_id: userId,
      response_time_ms: Math.round(ms * 1000) / 1000,
      status_code: status,
    });
  }
}
