// The plugway route table: every registered plugin's manifest endpoints in one find-my-way
// router, rebuilt from the host's plugin list and swapped atomically (plugins come and go
// at run time; Fastify routes cannot be removed, so Fastify sees one catch-all route).

import FindMyWay from 'find-my-way';
import type { HTTPMethod } from 'find-my-way';
import { PlugwayError } from '../errors.js';
import type { EndpointSpec } from '../manifest/types.js';
import type { PluginInstance } from '../host/types.js';

export interface RouteDef {
  pluginId: string;
  endpoint: EndpointSpec;
  method: string;
  /** The path as served (prefix + endpoint path, `{param}` form), also the metrics label. */
  path: string;
}

export interface RouteMatch<R> {
  route: R;
  params: Record<string, string>;
}

/** `{param}` → `:param`, as find-my-way writes it. */
export function toRouterPath(path: string): string {
  return path.replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, ':$1');
}

export function joinPrefix(prefix: string | undefined, path: string): string {
  if (!prefix) return path.startsWith('/') ? path : `/${path}`;
  const p = `/${prefix.replace(/^\/+|\/+$/g, '')}`;
  const rest = path.startsWith('/') ? path : `/${path}`;
  return p === '/' ? rest : rest === '/' ? p : p + rest;
}

const RESERVED_EXACT = new Set(['/health', '/ready', '/metrics', '/admin', '/dashboard']);

/**
 * The gateway's own paths: a plugin route there would be shadowed (/metrics) or, worse, served
 * without the admin token under /admin. Paths are relative to where the gateway is mounted.
 */
export function isReservedPath(path: string): boolean {
  const p = path.replace(/\/+$/, '') || '/';
  return RESERVED_EXACT.has(p) || p.startsWith('/admin/') || p.startsWith('/dashboard/');
}

/** Collects route definitions from plugins; throws PLW_ERR_ROUTE_CONFLICT naming both plugins (or plugway for its own paths). */
export function collectRoutes(plugins: readonly PluginInstance[], prefixOf: (id: string) => string | undefined): RouteDef[] {
  const seen = new Map<string, RouteDef>();
  const out: RouteDef[] = [];
  for (const p of plugins) {
    for (const endpoint of p.manifest.endpoints ?? []) {
      if (endpoint.protocol === 'websocket') continue; // served on upgrades (websocket/routes.ts)
      const method = endpoint.method.toUpperCase();
      const path = joinPrefix(prefixOf(p.id), endpoint.path);
      // Two paths that differ only in parameter names are the same route.
      const key = `${method} ${path.replace(/\{[^}]+\}/g, '{}').replace(/\/+$/, '') || '/'}`;
      const prev = seen.get(key);
      if (prev) {
        if (prev.pluginId === p.id) continue;
        throw new PlugwayError('PLW_ERR_ROUTE_CONFLICT', { method, path, first: prev.pluginId, second: p.id });
      }
      if (isReservedPath(path)) throw new PlugwayError('PLW_ERR_ROUTE_CONFLICT', { method, path, first: 'plugway itself (/health, /ready, /metrics, /admin, /dashboard)', second: p.id });
      const def: RouteDef = { pluginId: p.id, endpoint, method, path };
      seen.set(key, def);
      out.push(def);
    }
  }
  return out;
}

/** An immutable router over compiled routes (R carries whatever the pipeline precomputed). */
export class RouteTable<R extends { def: RouteDef }> {
  private readonly router = FindMyWay({ ignoreTrailingSlash: true, caseSensitive: true, ignoreDuplicateSlashes: true });
  readonly routes: readonly R[];

  constructor(routes: readonly R[]) {
    this.routes = routes;
    const noop = () => undefined;
    for (const r of routes) {
      try {
        this.router.on(r.def.method as HTTPMethod, toRouterPath(r.def.path), noop, r);
      } catch (err) {
        const other = routes.find((o) => o !== r && o.def.method === r.def.method && toRouterPath(o.def.path) !== undefined && o.def.pluginId !== r.def.pluginId);
        throw new PlugwayError('PLW_ERR_ROUTE_CONFLICT', {
          method: r.def.method,
          path: r.def.path,
          first: other?.def.pluginId ?? '(another route)',
          second: `${r.def.pluginId} (${(err as Error).message})`,
        });
      }
    }
  }

  find(method: string, path: string): RouteMatch<R> | undefined {
    const found = this.router.find(method as HTTPMethod, path);
    if (!found) return undefined;
    return { route: found.store as R, params: found.params as Record<string, string> };
  }

  /** Whether any route matches the path with another method (for a 405-style hint in the message). */
  methodsFor(path: string): string[] {
    const methods: string[] = [];
    for (const m of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']) if (this.router.find(m as HTTPMethod, path)) methods.push(m);
    return methods;
  }
}

/** A route glob (`/api/*`, `/users/**`, exact paths) as a test over served paths. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') {
      if (glob[i + 1] === '*') i++;
      re += '.*';
    } else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

export function matchesAnyGlob(path: string, globs: readonly string[] | undefined): boolean {
  if (!globs || globs.length === 0) return true;
  return globs.some((g) => globToRegExp(g).test(path) || (g.endsWith('/*') && path === g.slice(0, -2)));
}
