// Who may read /metrics: anyone who reaches the gateway (the default), holders of
// gateway.metrics.token, and/or only a listener of its own (gateway.metrics.port) that an operator
// keeps off the public network. Series name plugins, routes and error codes: worth not publishing.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { tokenDigest, tokenMatches } from '../state/admin-token.js';
import { errorBody, refuse } from './http-errors.js';
import type { GatewayMetrics } from './metrics.js';
import { requestIdOf } from './request-id.js';

export interface MetricsAccess {
  token?: string;
  port?: number;
  host?: string;
}

function bearerOf(h: string | string[] | undefined): string | undefined {
  if (typeof h !== 'string') return undefined;
  const m = /^Bearer\s+(.+)$/i.exec(h.trim());
  return m ? m[1]!.trim() : undefined;
}

/** The check for the bearer token (undefined when /metrics is open). */
export function metricsGuard(access: MetricsAccess): ((authorization: string | string[] | undefined) => boolean) | undefined {
  if (!access.token) return undefined;
  const digest = tokenDigest(access.token);
  return (authorization) => tokenMatches(bearerOf(authorization), digest);
}

const refusal = (rid: string) => errorBody(refuse('PLW_ERR_METRICS_UNAUTHORIZED', {}), rid);

/** Fastify onRequest hook for /metrics on the main listener. */
export function metricsHook(access: MetricsAccess) {
  const allowed = metricsGuard(access);
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const rid = requestIdOf(request.headers['x-request-id']);
    reply.header('x-request-id', rid);
    if (allowed && !allowed(request.headers.authorization)) {
      return reply.code(401).header('www-authenticate', 'Bearer realm="plugway-metrics"').header('content-type', 'application/json; charset=utf-8').send(refusal(rid));
    }
  };
}

/** /metrics on a listener of its own; resolves with its URL. */
export async function startMetricsListener(metrics: GatewayMetrics, access: MetricsAccess & { port: number }, defaultHost: string): Promise<{ server: Server; url: string }> {
  const allowed = metricsGuard(access);
  const server = createServer((req, res) => {
    const rid = requestIdOf(req.headers['x-request-id']);
    res.setHeader('x-request-id', rid);
    if ((req.url ?? '/').split('?')[0] !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'application/json; charset=utf-8' }).end(errorBody(refuse('PLW_ERR_ROUTE_NOT_FOUND', { method: req.method ?? 'GET', path: req.url ?? '/' }), rid));
      return;
    }
    if (allowed && !allowed(req.headers.authorization)) {
      res.writeHead(401, { 'content-type': 'application/json; charset=utf-8', 'www-authenticate': 'Bearer realm="plugway-metrics"' }).end(refusal(rid));
      return;
    }
    metrics.text().then(
      (text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text),
      (err: Error) => res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' }).end(errorBody(refuse('PLW_ERR_INTERNAL', { reason: err.message }), rid)),
    );
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  const host = access.host ?? defaultHost;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(access.port, host, () => resolve());
  });
  const a = server.address() as AddressInfo;
  return { server, url: `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}/metrics` };
}
