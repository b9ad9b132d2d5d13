// Authentication and authorization of a route: the auth plugin's authenticate(request) gives a
// principal (or none), then the plugin's role allow-list, the endpoint's roles and permissions
// (checked here, or by the auth plugin's authorize() when it has one). In the array only for
// routes with `auth` other than none, or with roles/permissions.

import { isPlugwayError, reasonOf } from '../../errors.js';
import type { Host } from '../../host/types.js';
import type { Logger } from 'pino';
import type { PluginRequest, Principal } from '../../sdk/types.js';
import { refuse, type HttpFailure } from '../http-errors.js';
import { asPrincipal, hasAnyRole, hasPermission, splitPermission } from '../rbac.js';
import type { Maybe, Outcome, RequestContext, Step } from './context.js';

export interface AuthRoute {
  pluginId: string;
  method: string;
  path: string;
  auth: 'required' | 'optional' | 'none';
  needsPrincipal: boolean;
  roles: readonly string[];
  permissions: readonly string[];
  pluginRoles: readonly string[];
}

function forbid(reason: string): HttpFailure {
  return refuse('PLW_ERR_FORBIDDEN', { reason }, { 'www-authenticate': 'Bearer realm="plugway", error="insufficient_scope"' });
}

export function authStep(host: Host, authId: string, route: AuthRoute, logger: Logger): Step {
  const authorizeByPlugin = async (principal: Principal): Promise<HttpFailure | undefined> => {
    for (const perm of route.permissions) {
      const { resource, action } = splitPermission(perm);
      if ((await host.call(authId, 'authorize', [principal, resource, action])) !== true) return forbid(`${route.method} ${route.path} needs permission ${perm}`);
    }
    return undefined;
  };

  const authorize = (preq: PluginRequest, principal: Principal | null): Maybe<Outcome | undefined> => {
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
    if (!hasAnyRole(principal, route.roles)) return forbid(`${route.method} ${route.path} needs one of the roles ${route.roles.join(', ')}`);
    if (route.permissions.length === 0) return undefined;
    if (host.get(authId)?.runtime?.implements('authorize') ?? false) return authorizeByPlugin(principal);
    for (const perm of route.permissions) if (!hasPermission(principal, perm)) return forbid(`${route.method} ${route.path} needs permission ${perm}`);
    return undefined;
  };

  const failed = (preq: PluginRequest, err: unknown): Maybe<Outcome | undefined> => {
    if (isPlugwayError(err) && (err.code === 'PLW_ERR_PLUGIN_NOT_RUNNING' || err.code === 'PLW_ERR_PLUGIN_DISABLED' || err.code === 'PLW_ERR_PLUGIN_NOT_FOUND')) {
      return refuse('PLW_ERR_SERVICE_UNAVAILABLE', { id: route.pluginId, service: authId, reason: err.message }, { 'retry-after': '5' }, 503);
    }
    // A throwing auth plugin means the credentials could not be accepted.
    logger.warn({ plugin_id: authId, request_id: preq.id, err: { message: reasonOf(err) } }, 'authenticate failed');
    return authorize(preq, null);
  };

  return {
    name: 'auth',
    enter: (ctx: RequestContext) => host.invoke(authId, 'authenticate', [ctx.preq]),
    entered: (ctx: RequestContext, v: unknown) => authorize(ctx.preq, asPrincipal(v)),
    enterFailed: (ctx: RequestContext, err: unknown) => failed(ctx.preq, err),
  };
}
