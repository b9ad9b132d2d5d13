// POST /admin/plugins/discover: scans the configured plugin folders for plugins the running gateway
// does not know yet (a `plugway plugin install` into a served folder), loads and starts them, audited.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { resolve } from 'node:path';
import { isPlugwayError, PlugwayError, reasonOf } from '../../errors.js';
import { discover, readCandidate, type ReadPlugin } from '../../host/loader.js';
import type { PluginInstance } from '../../host/types.js';
import { tokenIdentity, type AuditLog } from '../../state/audit-log.js';
import type { StateStore } from '../../state/types.js';
import type { GatewayCore } from '../core.js';
import { errorBody, failure } from '../http-errors.js';
import { requestIdOf } from '../request-id.js';
import { collectRoutes } from '../route-table.js';

export interface DiscoverRouteDeps {
  core: GatewayCore;
  store: StateStore;
  audit: AuditLog;
}

export interface DiscoverFailure {
  id?: string;
  dir?: string;
  code: string;
  message: string;
}

export interface DiscoverResult {
  added: string[];
  failed: DiscoverFailure[];
}

function actorOf(request: FastifyRequest): string {
  const m = /^Bearer\s+(.+)$/i.exec(String(request.headers.authorization ?? '').trim());
  return tokenIdentity(m ? m[1]!.trim() : undefined);
}

const failedEntry = (err: unknown, where: { id?: string; dir?: string }): DiscoverFailure => {
  const e = isPlugwayError(err) ? err : new PlugwayError('PLW_ERR_INTERNAL', { reason: reasonOf(err) });
  return { ...where, code: e.code, message: e.message };
};

/** The folders the host loaded plugins from: plugins.directories plus createHost({ pluginDirs }). */
function pluginFolders(core: GatewayCore): string[] {
  const extra = (core.host as { pluginDirs?: unknown }).pluginDirs;
  const dirs = [...core.host.config.plugins.directories, ...(Array.isArray(extra) ? (extra as string[]) : [])];
  return [...new Set(dirs.map((d) => resolve(d)))];
}

const idOf = (r: ReadPlugin): string | undefined => r.result.manifest?.id;

/**
 * Loads and starts the plugins in the configured folders whose ids are not registered. A folder whose new
 * plugins would claim a route already served (or claimed by another new one) is not loaded: a conflict
 * would freeze the route table for every plugin. Plugins already known are left alone (reload them).
 */
export async function discoverPlugins(core: GatewayCore): Promise<DiscoverResult> {
  const host = core.host;
  const added: string[] = [];
  const failed: DiscoverFailure[] = [];
  for (const dir of pluginFolders(core)) {
    let fresh: ReadPlugin[];
    try {
      fresh = (await Promise.all((await discover(dir)).map((c) => readCandidate(c)))).filter((r) => {
        const id = idOf(r);
        return id === undefined || !host.get(id);
      });
    } catch (err) {
      // a configured folder that does not exist (yet) holds nothing new
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
      failed.push(failedEntry(err, { dir }));
      continue;
    }
    if (!fresh.length) continue;

    const conflict = routeConflict(core, fresh);
    if (conflict) {
      for (const r of fresh) {
        const id = idOf(r);
        const mine = conflict.params.second === id || conflict.params.first === id;
        failed.push(
          mine
            ? { ...(id ? { id } : { dir }), code: conflict.code, message: conflict.message }
            : { ...(id ? { id } : { dir }), code: conflict.code, message: `not loaded: another new plugin in ${dir} claims a route already taken (${conflict.message})` },
        );
      }
      continue;
    }

    const known = new Set(host.list().map((p) => p.id));
    const { registered, errors } = await host.loadDirectory(dir);
    const news = registered.filter((rec) => !known.has(rec.id));
    const accounted = new Set<unknown>(news.map((rec) => rec.error).filter(Boolean));
    for (const e of errors) {
      if (e.code === 'PLW_ERR_PLUGIN_DUPLICATE' || accounted.has(e)) continue;
      const id = typeof e.params.id === 'string' ? e.params.id : undefined;
      if (id && news.some((rec) => rec.id === id)) continue; // reported with its plugin below
      failed.push(failedEntry(e, id ? { id } : { dir }));
    }
    for (const rec of news) {
      const current: PluginInstance = host.get(rec.id) ?? rec;
      if (current.state === 'failed') {
        failed.push(failedEntry(current.error ?? new PlugwayError('PLW_ERR_LIFECYCLE_FAILED', { id: rec.id, step: 'start', reason: 'it failed without a recorded error' }), { id: rec.id }));
        continue;
      }
      try {
        await host.startPlugin(rec.id);
        added.push(rec.id);
      } catch (err) {
        failed.push(failedEntry(err, { id: rec.id }));
      }
    }
  }
  if (added.length) {
    try {
      core.rebuild();
    } catch (err) {
      // e.g. an endpoint with auth and no auth plugin configured: the previous table keeps serving
      const f = failedEntry(err, {});
      for (const id of added.splice(0)) failed.push({ id, code: f.code, message: f.message });
      core.tryRebuild('discover');
    }
  }
  return { added, failed };
}

/** The first route conflict the new plugins would cause, if any (reserved paths included). */
function routeConflict(core: GatewayCore, fresh: ReadPlugin[]): PlugwayError | undefined {
  const candidates = fresh.filter((r) => r.result.manifest && !r.result.errors.length).map((r) => ({ id: r.result.manifest!.id, manifest: r.result.manifest! }) as unknown as PluginInstance);
  try {
    collectRoutes([...core.plugins(), ...candidates], (id) => core.overrides(id)?.prefix);
    return undefined;
  } catch (err) {
    return isPlugwayError(err, 'PLW_ERR_ROUTE_CONFLICT') ? err : undefined;
  }
}

export async function registerDiscoverRoutes(app: FastifyInstance, deps: DiscoverRouteDeps): Promise<void> {
  const { core, audit } = deps;
  // one scan at a time: two at once would both see the same new folder
  let queue: Promise<unknown> = Promise.resolve();

  app.post('/plugins/discover', async (request: FastifyRequest, reply: FastifyReply) => {
    const rid = (reply.getHeader('x-request-id') as string | undefined) ?? requestIdOf(undefined);
    const actor = actorOf(request);
    const run = queue.then(() => discoverPlugins(core));
    queue = run.catch(() => undefined);
    try {
      const result = await run;
      const summary = [result.added.length ? `added ${result.added.join(', ')}` : 'nothing new', ...result.failed.map((f) => `${f.id ?? f.dir}: ${f.code}`)].join('; ');
      await audit.append({ actor, action: 'discover', target: pluginFolders(core).join(', ') || '(no plugin folders)', result: result.failed.length ? 'error' : 'ok', message: summary });
      return result;
    } catch (err) {
      const e = isPlugwayError(err) ? err : new PlugwayError('PLW_ERR_INTERNAL', { reason: reasonOf(err) });
      await audit.append({ actor, action: 'discover', target: pluginFolders(core).join(', '), result: 'error', code: e.code, message: e.message }).catch(() => undefined);
      const f = failure(e);
      return reply.code(f.status).header('content-type', 'application/json; charset=utf-8').send(errorBody(f, rid));
    }
  });
}

/** OpenAPI path of the discover route, for the document at /admin/openapi.json. */
export function discoverOpenApiPaths(): Record<string, unknown> {
  const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });
  const error = { $ref: '#/components/schemas/Error' };
  return {
    '/plugins/discover': {
      post: {
        summary: 'Scan the configured plugin folders; load and start plugins not yet registered (after `plugway plugin install` into a served folder)',
        operationId: 'discoverPlugins',
        responses: {
          '200': {
            description: 'What was added and what failed (a failed plugin stays listed as failed; fix it and reload it)',
            ...json({
              type: 'object',
              required: ['added', 'failed'],
              properties: {
                added: { type: 'array', items: { type: 'string' }, description: 'ids loaded and started' },
                failed: {
                  type: 'array',
                  items: { type: 'object', required: ['code', 'message'], properties: { id: { type: 'string' }, dir: { type: 'string' }, code: { type: 'string' }, message: { type: 'string' } } },
                },
              },
            }),
          },
          '401': { description: 'Missing or wrong bearer token', ...json(error) },
          '500': { description: 'The scan itself failed', ...json(error) },
        },
      },
    },
  };
}
