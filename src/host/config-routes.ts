// plugway.yaml `routes:`: plain proxy routes for services that are not plugins (Kong's "service +
// route"). Each becomes a remote plugin named after the route, so it has the same pipeline,
// middleware, auth, limits, metrics and admin view as any plugin.

import { toDurationMs } from '../manifest/duration.js';
import { normalizeManifest } from '../manifest/normalize.js';
import { REMOTE_RUNTIME_PROPERTIES, remoteFromRaw, type RemoteSpec } from '../manifest/remote.js';
import { tryParseRateLimit } from '../manifest/rate-limit.js';
import { DEFAULT_HEALTH_INTERVAL_MS, DEFAULT_HEALTH_TIMEOUT_MS } from '../manifest/normalize.js';
import { HTTP_METHODS } from '../manifest/schema.js';
import type { EndpointSpec, HttpMethod, PluginManifest, RateLimit } from '../manifest/types.js';

export interface ConfigRoute {
  /** Kebab-case; the id of the plugin the route becomes. */
  name: string;
  /** The prefix served: the path itself and everything under it. */
  path: string;
  methods: HttpMethod[];
  auth: 'required' | 'optional' | 'none';
  roles: string[];
  permissions: string[];
  rateLimit?: RateLimit;
  timeoutMs?: number;
  healthCheck?: { endpoint?: string; intervalMs: number; timeoutMs: number };
  remote: RemoteSpec;
}

const duration = { type: ['string', 'number'], format: 'duration', minimum: 0 } as const;
const strs = { type: 'array', items: { type: 'string' } } as const;

/** The JSON Schema of one `routes:` entry (the remote runtime's fields, plus the endpoint's). */
export const CONFIG_ROUTE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'path', 'upstreams'],
  properties: {
    name: { type: 'string', pattern: '^[a-z0-9]+(-[a-z0-9]+)*$' },
    path: { type: 'string', pattern: '^/' },
    methods: { type: 'array', items: { type: 'string', enum: [...HTTP_METHODS, ...HTTP_METHODS.map((m) => m.toLowerCase())] } },
    auth: { type: 'string', enum: ['required', 'optional', 'none'] },
    roles: strs,
    permissions: strs,
    rate_limit: { type: 'string', format: 'rate-limit' },
    timeout: duration,
    health_check: { type: 'object', additionalProperties: false, properties: { endpoint: { type: 'string', pattern: '^/' }, interval: duration, timeout: duration } },
    ...REMOTE_RUNTIME_PROPERTIES,
  },
} as const;

export function routesFromRaw(raw: unknown[]): ConfigRoute[] {
  return raw.map((r) => {
    const o = r as Record<string, unknown>;
    const route: ConfigRoute = {
      name: String(o.name),
      path: String(o.path).replace(/\/+$/, '') || '/',
      methods: (Array.isArray(o.methods) && o.methods.length ? o.methods.map((m) => String(m).toUpperCase()) : HTTP_METHODS) as HttpMethod[],
      auth: (o.auth as ConfigRoute['auth']) ?? 'none',
      roles: Array.isArray(o.roles) ? o.roles.map(String) : [],
      permissions: Array.isArray(o.permissions) ? o.permissions.map(String) : [],
      remote: remoteFromRaw(o),
    };
    if (typeof o.rate_limit === 'string') route.rateLimit = tryParseRateLimit(o.rate_limit);
    const timeoutMs = toDurationMs(o.timeout);
    if (timeoutMs !== undefined) route.timeoutMs = timeoutMs;
    if (o.health_check && typeof o.health_check === 'object') {
      const h = o.health_check as Record<string, unknown>;
      route.healthCheck = { intervalMs: toDurationMs(h.interval) ?? DEFAULT_HEALTH_INTERVAL_MS, timeoutMs: toDurationMs(h.timeout) ?? DEFAULT_HEALTH_TIMEOUT_MS };
      if (typeof h.endpoint === 'string') route.healthCheck.endpoint = h.endpoint;
    }
    return route;
  });
}

/** The remote plugin a route is: the prefix and everything under it, for each method. */
export function routeManifest(route: ConfigRoute): PluginManifest {
  const paths = route.path === '/' ? ['/', '/*'] : [route.path, `${route.path}/*`];
  const endpoints: EndpointSpec[] = [];
  for (const method of route.methods) {
    for (const path of paths) {
      const e: EndpointSpec = { path, method, auth: route.auth, roles: route.roles, permissions: route.permissions };
      if (route.rateLimit) {
        e.rateLimit = route.rateLimit;
        e.rateLimitGroup = 'route'; // one budget for the whole route, whatever the method or path
      }
      if (route.timeoutMs !== undefined) e.timeoutMs = route.timeoutMs;
      endpoints.push(e);
    }
  }
  return normalizeManifest({
    id: route.name,
    name: route.name,
    version: '0.0.0',
    kind: 'handler',
    description: `plugway.yaml route ${route.path}`,
    runtime: { type: 'remote', instances: 1, remote: route.remote },
    endpoints,
    ...(route.healthCheck ? { healthCheck: route.healthCheck } : {}),
  });
}
