// The OpenAPI 3 description of the admin API (served at GET /admin/openapi.json).

import { PLUGWAY_VERSION } from '../version.js';
import { discoverOpenApiPaths } from './admin/discover-routes.js';
import { clusterOpenApiPaths } from './admin/cluster-routes.js';
import { releaseOpenApiPaths } from './admin/versions-routes.js';
import { statsOpenApiPaths } from './admin/stats-routes.js';

const error = { $ref: '#/components/schemas/Error' };
const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' }, description: 'Plugin id' };
const common = {
  '401': { description: 'Missing or wrong bearer token', ...json(error) },
};

export function adminOpenApi(): Record<string, unknown> {
  const action = (verb: string, what: string) => ({
    post: {
      summary: what,
      operationId: `${verb}Plugin`,
      parameters: [idParam],
      responses: {
        '200': { description: 'Done', ...json({ $ref: '#/components/schemas/ActionResult' }) },
        '404': { description: 'No such plugin', ...json(error) },
        '409': { description: 'Illegal lifecycle transition', ...json(error) },
        '500': { description: 'The action failed (details in the error)', ...json(error) },
        ...common,
      },
    },
  });
  return {
    openapi: '3.0.3',
    info: { title: 'plugway admin API', version: PLUGWAY_VERSION, description: 'Steer the plugins of a running plugway gateway. Every route needs `Authorization: Bearer <admin token>`.' },
    servers: [{ url: '/admin' }],
    security: [{ bearer: [] }],
    paths: {
      '/plugins': {
        get: {
          summary: 'List plugins',
          operationId: 'listPlugins',
          responses: {
            '200': {
              description: 'Plugins',
              ...json({
                type: 'object',
                required: ['plugins', 'count'],
                properties: { plugins: { type: 'array', items: { $ref: '#/components/schemas/PluginSummary' } }, count: { type: 'integer' } },
              }),
            },
            ...common,
          },
        },
      },
      ...discoverOpenApiPaths(),
      ...clusterOpenApiPaths(),
      '/plugins/{id}': {
        get: {
          summary: 'One plugin with manifest, config (secrets redacted), dependencies, dependents and endpoints',
          operationId: 'getPlugin',
          parameters: [idParam],
          responses: { '200': { description: 'Plugin', ...json({ $ref: '#/components/schemas/PluginDetail' }) }, '404': { description: 'No such plugin', ...json(error) }, ...common },
        },
      },
      '/plugins/{id}/enable': action('enable', 'Enable and start a plugin (kept across restarts)'),
      '/plugins/{id}/disable': action('disable', 'Stop and disable a plugin; its routes answer 503 PLW_ERR_PLUGIN_DISABLED (kept across restarts)'),
      '/plugins/{id}/reload': action(
        'reload',
        'Re-read a plugin from disk and swap it in blue-green (the old version serves until the new one is healthy); a watch window with automatic rollback follows',
      ),
      ...releaseOpenApiPaths(),
      ...statsOpenApiPaths(),
      '/upstreams': {
        get: {
          summary: 'Remote plugins and their upstreams',
          operationId: 'listUpstreams',
          responses: {
            '200': {
              description: 'Upstreams per remote plugin',
              ...json({ type: 'object', properties: { plugins: { type: 'array', items: { $ref: '#/components/schemas/RemoteUpstreams' } }, count: { type: 'integer' } } }),
            },
            ...common,
          },
        },
      },
      '/plugins/{id}/upstreams': {
        get: {
          summary: "A remote plugin's upstreams",
          operationId: 'getPluginUpstreams',
          parameters: [idParam],
          responses: { '200': { description: 'Its upstreams', ...json({ $ref: '#/components/schemas/RemoteUpstreams' }) }, '404': { description: 'No such plugin', ...json(error) }, ...common },
        },
      },
      '/plugins/{id}/flags/{name}': {
        put: {
          summary: 'Toggle a declared feature flag at run time (event plugin.flag_changed, audited; lasts until a restart)',
          operationId: 'setPluginFlag',
          parameters: [idParam, { name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
          requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['enabled'], properties: { enabled: { type: 'boolean' } } } } } },
          responses: {
            '200': {
              description: 'The flag',
              ...json({
                type: 'object',
                properties: {
                  id: { type: 'string' },
                  flag: { type: 'string' },
                  enabled: { type: 'boolean' },
                  previous: { type: 'boolean' },
                  flags: { type: 'object', additionalProperties: { type: 'boolean' } },
                },
              }),
            },
            '400': { description: 'PLW_ERR_FLAG_VALUE_INVALID', ...json(error) },
            '404': { description: 'PLW_ERR_PLUGIN_NOT_FOUND or PLW_ERR_FLAG_UNKNOWN', ...json(error) },
            ...common,
          },
        },
      },
      '/plugins/{id}/metrics': {
        get: {
          summary: "A plugin's metrics",
          operationId: 'getPluginMetrics',
          parameters: [idParam],
          responses: { '200': { description: 'PluginMetrics', ...json({ $ref: '#/components/schemas/PluginMetrics' }) }, '404': { description: 'No such plugin', ...json(error) }, ...common },
        },
      },
      '/alerts': {
        get: {
          summary: 'Alerts firing and pending now, recently resolved, and the rules (docs/alerts.md)',
          operationId: 'listAlerts',
          responses: {
            '200': {
              description: 'Alerts',
              ...json({
                type: 'object',
                required: ['firing', 'pending', 'resolved', 'rules'],
                properties: {
                  firing: { type: 'array', items: { type: 'object' } },
                  pending: { type: 'array', items: { type: 'object' } },
                  resolved: { type: 'array', items: { type: 'object' } },
                  rules: { type: 'array', items: { type: 'object' } },
                },
              }),
            },
            ...common,
          },
        },
      },
      '/hooks/stats': {
        get: {
          summary: 'Hook statistics per hook name',
          operationId: 'getHookStats',
          responses: {
            '200': { description: 'Stats', ...json({ type: 'object', properties: { hooks: { type: 'object', additionalProperties: { $ref: '#/components/schemas/HookStats' } } } }) },
            ...common,
          },
        },
      },
      '/plugins/hooks/stats': {
        get: {
          summary: "Alias of /hooks/stats (the GoLeapAI seed's path)",
          operationId: 'getHookStatsAlias',
          responses: {
            '200': { description: 'Stats', ...json({ type: 'object', properties: { hooks: { type: 'object', additionalProperties: { $ref: '#/components/schemas/HookStats' } } } }) },
            ...common,
          },
        },
      },
      '/health': {
        get: {
          summary: "Every plugin's health",
          operationId: 'getHealth',
          parameters: [{ name: 'refresh', in: 'query', required: false, schema: { type: 'string', enum: ['1', 'true'] }, description: 'Run the health checks now' }],
          responses: {
            '200': {
              description: 'Health',
              ...json({ type: 'object', properties: { status: { type: 'string', enum: ['healthy', 'degraded', 'unhealthy'] }, plugins: { type: 'array', items: { type: 'object' } } } }),
            },
            ...common,
          },
        },
      },
      '/openapi.json': { get: { summary: 'This document', operationId: 'getOpenApi', responses: { '200': { description: 'OpenAPI 3 document', ...json({ type: 'object' }) }, ...common } } },
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'PLUGWAY_ADMIN_TOKEN, gateway.admin.token, or <state dir>/admin-token' } },
      schemas: {
        Error: {
          type: 'object',
          required: ['error', 'request_id'],
          properties: {
            error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string', example: 'PLW_ERR_PLUGIN_NOT_FOUND' }, message: { type: 'string' } } },
            request_id: { type: 'string' },
          },
        },
        PluginMetrics: {
          type: 'object',
          required: ['requestCount', 'errorCount', 'responseTimeMs', 'cpuUsagePercent', 'memoryUsageMb', 'activeConnections'],
          properties: {
            requestCount: { type: 'integer' },
            errorCount: { type: 'integer' },
            responseTimeMs: { type: 'number' },
            cpuUsagePercent: { type: 'number' },
            memoryUsageMb: { type: 'number' },
            activeConnections: { type: 'integer' },
            request_count: { type: 'integer' },
            error_count: { type: 'integer' },
            response_time_ms: { type: 'number' },
            cpu_usage_percent: { type: 'number' },
            memory_usage_mb: { type: 'number' },
            active_connections: { type: 'integer' },
            gateway: { type: 'object' },
          },
          additionalProperties: true,
        },
        PluginSummary: {
          type: 'object',
          required: ['id', 'name', 'version', 'kind', 'runtime', 'enabled', 'state', 'health', 'metrics'],
          properties: {
            id: { type: 'string' },
            name: { type: 'string' },
            version: { type: 'string' },
            kind: { type: 'string', enum: ['handler', 'middleware', 'auth', 'storage', 'provider', 'router', 'diagnostics', 'action', 'protocol'] },
            runtime: { type: 'string', enum: ['inprocess', 'worker', 'wasm', 'process', 'remote'] },
            description: { type: 'string', nullable: true },
            enabled: { type: 'boolean' },
            state: { type: 'string', enum: ['unloaded', 'loaded', 'initialized', 'running', 'stopping', 'stopped', 'failed'] },
            health: { type: 'string', enum: ['healthy', 'degraded', 'unhealthy', 'unknown', 'disabled'] },
            loaded_at: { type: 'string', format: 'date-time', nullable: true },
            last_used: { type: 'string', format: 'date-time', nullable: true },
            metrics: { $ref: '#/components/schemas/PluginMetrics' },
            versions_kept: { type: 'integer', description: 'Versions kept in the state dir (GET /plugins/{id}/versions)' },
            rollback_to: { type: 'string', nullable: true, description: 'The version POST /plugins/{id}/rollback without a body switches to; null when there is none' },
            error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } } },
          },
        },
        PluginDetail: {
          allOf: [
            { $ref: '#/components/schemas/PluginSummary' },
            {
              type: 'object',
              properties: {
                manifest: { type: 'object' },
                config: { type: 'object', description: 'Secrets are "[REDACTED]"' },
                dependencies: { type: 'array', items: { type: 'object' } },
                dependents: { type: 'array', items: { type: 'string' } },
                endpoints: { type: 'array', items: { type: 'object' } },
                circuit: { type: 'string', enum: ['closed', 'open', 'half_open'] },
              },
            },
          ],
        },
        RemoteUpstreams: {
          type: 'object',
          properties: {
            id: { type: 'string' },
            version: { type: 'string' },
            balance: { type: 'string', enum: ['round-robin', 'least-request', 'consistent-hash'] },
            protocol: { type: 'string', enum: ['http', 'plugin'] },
            retries: { type: 'object', properties: { attempts: { type: 'integer' }, granted: { type: 'integer' }, refused_by_budget: { type: 'integer' } } },
            upstreams: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  url: { type: 'string' },
                  state: { type: 'string', enum: ['healthy', 'unhealthy', 'ejected'] },
                  source: { type: 'string', enum: ['static', 'etcd'] },
                  in_flight: { type: 'integer' },
                  requests: { type: 'integer' },
                  errors: { type: 'integer' },
                  latency_mean_ms: { type: 'number' },
                  latency_p99_ms: { type: 'number' },
                  ejections: { type: 'integer' },
                  ejected_until: { type: 'string', nullable: true },
                  last_check: { type: 'object', nullable: true },
                },
              },
            },
          },
        },
        ActionResult: {
          type: 'object',
          required: ['id', 'action', 'enabled', 'state'],
          properties: {
            id: { type: 'string' },
            action: { type: 'string', enum: ['enable', 'disable', 'reload'] },
            enabled: { type: 'boolean' },
            state: { type: 'string' },
            version: { type: 'string' },
          },
        },
        HookStats: {
          type: 'object',
          properties: { fired: { type: 'integer' }, count: { type: 'integer' }, errors: { type: 'integer' }, timeouts: { type: 'integer' }, meanMs: { type: 'number' }, p99Ms: { type: 'number' } },
        },
      },
    },
  };
}
