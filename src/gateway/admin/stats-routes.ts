// GET /admin/stats: per plugin, request rate and p50/p99 latency in 5 s buckets over the last five
// minutes (live-stats.ts, fed by the accounting step) and the WebSocket connections open now.

import type { FastifyInstance } from 'fastify';
import type { GatewayCore } from '../core.js';
import { BUCKET_MS, SLOTS } from '../live-stats.js';

export interface StatsRouteDeps {
  core: GatewayCore;
  /** Open WebSocket connections of a plugin (all plugins without an id). */
  openWebSockets?: (pluginId?: string) => number;
}

export async function registerStatsRoutes(app: FastifyInstance, deps: StatsRouteDeps): Promise<void> {
  const { core } = deps;
  app.get('/stats', async () => {
    const now = Date.now();
    const ws = deps.openWebSockets ?? (() => 0);
    const plugins = core.plugins().map((p) => {
      const live = core.metrics.live.get(p.id);
      const lastMinute = live ? live.summary(now) : { requests: 0, errors: 0, rps: 0, p50_ms: null, p99_ms: null };
      const series = live?.series(now);
      return {
        id: p.id,
        version: p.version,
        websocket_connections: ws(p.id),
        last_minute: lastMinute,
        // Plugins without a request in the window carry no series (the answer stays small with many plugins).
        series: series && series.requests.some((n) => n > 0) ? series : null,
      };
    });
    return { interval_s: BUCKET_MS / 1000, window_s: (BUCKET_MS * SLOTS) / 1000, at: new Date(now).toISOString(), websocket_connections: ws(), plugins };
  });
}

/** The route above in the admin OpenAPI document. */
export function statsOpenApiPaths(): Record<string, unknown> {
  const nums = (nullable = false) => ({ type: 'array', items: { type: 'number', ...(nullable ? { nullable: true } : {}) } });
  const summary = {
    type: 'object',
    properties: { requests: { type: 'integer' }, errors: { type: 'integer' }, rps: { type: 'number' }, p50_ms: { type: 'number', nullable: true }, p99_ms: { type: 'number', nullable: true } },
  };
  const series = {
    type: 'object',
    nullable: true,
    description: 'Oldest bucket first; the last is the bucket now filling. null when the plugin had no request in the window',
    properties: { t: nums(), requests: nums(), errors: nums(), rps: nums(), p50_ms: nums(true), p99_ms: nums(true), max_ms: nums(true) },
  };
  const plugin = { type: 'object', properties: { id: { type: 'string' }, version: { type: 'string' }, websocket_connections: { type: 'integer' }, last_minute: summary, series } };
  return {
    '/stats': {
      get: {
        summary: "Per plugin: request rate, 5xx and p50/p99 latency in 5 s buckets over the last 5 minutes, and open WebSocket connections (the dashboard's charts)",
        operationId: 'getStats',
        responses: {
          '200': {
            description: 'Stats',
            content: {
              'application/json': {
                schema: {
                  type: 'object',
                  required: ['interval_s', 'window_s', 'at', 'websocket_connections', 'plugins'],
                  properties: {
                    interval_s: { type: 'number' },
                    window_s: { type: 'number' },
                    at: { type: 'string' },
                    websocket_connections: { type: 'integer' },
                    plugins: { type: 'array', items: plugin },
                  },
                },
              },
            },
          },
          '401': { description: 'Missing or wrong bearer token', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } },
        },
      },
    },
  };
}
