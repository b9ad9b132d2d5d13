// PUT /admin/plugins/:id/flags/:name {"enabled": bool}: toggles a declared feature flag at run time.
// Plugins see it on their next ctx.flags read (workers within a second); an event and an audit line
// record it. It lasts until a restart: a lasting value belongs in plugins.configs.<id>.flags.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isPlugwayError, PlugwayError, reasonOf } from '../../errors.js';
import { tokenIdentity, type AuditLog } from '../../state/audit-log.js';
import type { GatewayCore } from '../core.js';
import { errorBody, failure } from '../http-errors.js';
import { requestIdOf } from '../request-id.js';

type FlagRequest = FastifyRequest<{ Params: { id: string; name: string }; Body: unknown }>;

function actorOf(request: FastifyRequest): string {
  const m = /^Bearer\s+(.+)$/i.exec(String(request.headers.authorization ?? '').trim());
  return tokenIdentity(m ? m[1]!.trim() : undefined);
}

/** {"enabled": true}, {"value": true} or a bare true/false. */
function enabledOf(body: unknown): boolean | undefined {
  if (typeof body === 'boolean') return body;
  if (body && typeof body === 'object') {
    const b = body as { enabled?: unknown; value?: unknown };
    const v = b.enabled ?? b.value;
    if (typeof v === 'boolean') return v;
  }
  return undefined;
}

export async function registerFlagRoutes(app: FastifyInstance, deps: { core: GatewayCore; audit: AuditLog }): Promise<void> {
  const { core, audit } = deps;
  const host = core.host;
  app.put('/plugins/:id/flags/:name', async (request: FlagRequest, reply: FastifyReply) => {
    const { id, name } = request.params;
    const actor = actorOf(request);
    const rid = (reply.getHeader('x-request-id') as string | undefined) ?? requestIdOf(undefined);
    try {
      const p = host.get(id);
      if (!p) throw new PlugwayError('PLW_ERR_PLUGIN_NOT_FOUND', { id });
      const declared = p.manifest.featureFlags.map((f) => f.name);
      if (!declared.includes(name)) throw new PlugwayError('PLW_ERR_FLAG_UNKNOWN', { id, flag: name, declared: declared.join(', ') || 'none' });
      const enabled = enabledOf(request.body);
      if (enabled === undefined) throw new PlugwayError('PLW_ERR_FLAG_VALUE_INVALID', { id, flag: name, reason: `got ${JSON.stringify(request.body ?? null)}` });
      // The overrides the plugins' ctx.flags read live (host context), created for a plugin that had none.
      const configs = host.config.plugins.configs;
      const o = (configs[id] ??= { enabled: host.isEnabled(id), config: {}, dependencies: [], roles: [], required: true, flags: {} });
      const spec = p.manifest.featureFlags.find((f) => f.name === name)!;
      const previous = o.flags[name] ?? spec.default;
      o.flags[name] = enabled;
      await host.events.emit('plugin.flag_changed', { id, flag: name, enabled, previous, actor }, 'plugway');
      await audit.append({ actor, action: 'flag', target: id, result: 'ok', message: `${name}: ${previous} → ${enabled}` });
      const flags: Record<string, boolean> = {};
      for (const f of p.manifest.featureFlags) flags[f.name] = o.flags[f.name] ?? f.default;
      return { id, flag: name, enabled, previous, flags };
    } catch (err) {
      const e = isPlugwayError(err) ? err : new PlugwayError('PLW_ERR_INTERNAL', { reason: reasonOf(err) });
      await audit.append({ actor, action: 'flag', target: id, result: 'error', code: e.code, message: e.message }).catch(() => undefined);
      const f = failure(e);
      return reply.code(f.status).header('content-type', 'application/json; charset=utf-8').send(errorBody(f, rid));
    }
  });
}
