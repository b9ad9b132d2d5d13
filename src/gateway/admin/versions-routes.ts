// Admin routes for releases: versions, rollback, canary (start, promote, abort, side-by-side metrics),
// each audited; plus their OpenAPI paths for the document served at /admin/openapi.json.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isPlugwayError, PlugwayError, reasonOf } from '../../errors.js';
import { parseCanaryRequest } from '../../host/releases/canary.js';
import type { SwapReport } from '../../host/releases/types.js';
import type { Host } from '../../host/types.js';
import { previousOf } from '../../state/versions.js';
import { tokenIdentity } from '../../state/audit-log.js';
import type { GatewayCore } from '../core.js';
import type { Operator, Remembered } from '../operator.js';
import { errorBody, failure } from '../http-errors.js';
import { requestIdOf } from '../request-id.js';

export interface ReleaseRouteDeps {
  core: GatewayCore;
  operator: Operator;
}

type IdRequest = FastifyRequest<{ Params: { id: string }; Body: unknown }>;

function actorOf(request: FastifyRequest): string {
  const m = /^Bearer\s+(.+)$/i.exec(String(request.headers.authorization ?? '').trim());
  return tokenIdentity(m ? m[1]!.trim() : undefined);
}

/**
 * For the plugin list: how many versions are kept and the one a rollback without a version would
 * switch to (a watch window's standby, else the previous kept one, as host.releases.rollback picks
 * it), null when there is none; the dashboard's Roll back button is off then.
 */
export async function rollbackTarget(host: Host, id: string): Promise<{ versions_kept: number; rollback_to: string | null }> {
  const releases = host.releases;
  // A corrupt index is named by GET /plugins/:id/versions; the list shows no version then.
  const history = releases.versions ? await releases.versions.list(id).catch(() => []) : [];
  const standby = releases.watching(id)?.standby;
  if (standby) return { versions_kept: history.length, rollback_to: standby };
  const hash = releases.hashKnown(id);
  return { versions_kept: history.length, rollback_to: (hash && previousOf(history, [hash])?.version) || null };
}

/** A failed release names its step machine-readably too: `error.step` beside the message. */
export function withStep(body: string, err: PlugwayError): string {
  const step = err.code === 'PLW_ERR_RELOAD_FAILED' ? err.params.step : undefined;
  if (typeof step !== 'string') return body;
  const parsed = JSON.parse(body) as { error: Record<string, unknown> };
  parsed.error.step = step;
  return JSON.stringify(parsed);
}

function swapBody(id: string, action: string, r: SwapReport) {
  return {
    id,
    action,
    from: r.from,
    version: r.to,
    hash: r.hash ?? null,
    state: r.instance.state,
    cut_over_ms: Math.round(r.cutOverMs * 10) / 10,
    drain_ms: Math.round(r.drainMs * 10) / 10,
    drained: r.drained,
  };
}

export async function registerReleaseRoutes(app: FastifyInstance, deps: ReleaseRouteDeps): Promise<void> {
  const { core, operator } = deps;
  const host = core.host;
  const releases = host.releases;

  /** A canary promoted or aborted here ends on every node (the promoted version then travels as a pin). */
  const canaryEnded = (id: string): Remembered => ({ version: host.get(id)?.version, canary: null });

  /**
   * Runs an audited release action; errors become coded JSON answers. A read (`read: true`) writes
   * nothing: no audit line, no desired state, no route rebuild (opening a panel is not an action).
   */
  const act = async (request: IdRequest, reply: FastifyReply, action: string, fn: (id: string) => Promise<unknown>, read = false, remember?: (id: string) => Remembered) => {
    const id = request.params.id;
    const rid = (reply.getHeader('x-request-id') as string | undefined) ?? requestIdOf(undefined);
    const actor = actorOf(request);
    try {
      const run = async () => {
        if (!host.get(id)) throw new PlugwayError('PLW_ERR_PLUGIN_NOT_FOUND', { id });
        return fn(id);
      };
      // A read is not an action: no audit line, no desired state, no route rebuild.
      if (read) return await run();
      return await operator.perform({ actor, action, id, run, ...(remember ? { remember: () => remember(id) } : {}) });
    } catch (err) {
      const e = isPlugwayError(err) ? err : new PlugwayError('PLW_ERR_INTERNAL', { reason: reasonOf(err) });
      const f = failure(e);
      return reply
        .code(f.status)
        .header('content-type', 'application/json; charset=utf-8')
        .send(withStep(errorBody(f, rid), e));
    }
  };

  app.get<{ Params: { id: string }; Body: unknown }>('/plugins/:id/versions', async (request, reply) =>
    act(
      request,
      reply,
      'versions',
      async (id) => {
        await releases.whenKept(id);
        const active = host.get(id)!;
        const store = releases.versions;
        const kept = store ? await store.index(id) : { history: [], desired: undefined };
        const activeHash = releases.hashKnown(id) ?? null;
        return {
          id,
          active: { version: active.version, hash: activeHash },
          desired: kept.desired ?? null,
          watching: releases.watching(id) ?? null,
          canary: releases.canaryStatus(id) ?? null,
          // One version number on different contents is marked: the hash tells them apart (rollback by hash).
          versions: kept.history.map((v) => ({
            version: v.version,
            hash: v.hash,
            entry: v.entry ?? null,
            entry_hash: v.entryHash ?? null,
            saved_at: v.savedAt,
            files: v.files,
            active: v.hash === activeHash,
            rejected: v.rejected ?? null,
            version_reused: kept.history.some((o) => baseVersion(o.version) === baseVersion(v.version) && o.hash !== v.hash),
          })),
          kept_in: store ? store.dirOf(id) : null,
        };
      },
      true,
    ),
  );

  app.post<{ Params: { id: string }; Body: unknown }>('/plugins/:id/rollback', async (request, reply) =>
    act(request, reply, 'rollback', async (id) => {
      const body = (request.body ?? {}) as { version?: unknown };
      const ref = typeof body.version === 'string' && body.version ? body.version : undefined;
      return swapBody(id, 'rollback', await releases.rollback(id, ref, 'api'));
    }),
  );

  app.get<{ Params: { id: string }; Body: unknown }>('/plugins/:id/canary', async (request, reply) =>
    act(request, reply, 'canary_status', async (id) => releases.canaryStatus(id) ?? { id, canary: null }, true),
  );

  app.post<{ Params: { id: string }; Body: unknown }>('/plugins/:id/canary', async (request, reply) => {
    const action = (request.body as { action?: unknown } | undefined)?.action;
    if (action === 'promote') return act(request, reply, 'canary_promote', async (id) => swapBody(id, 'promote', await releases.promote(id)), false, canaryEnded);
    if (action === 'abort') return act(request, reply, 'canary_abort', async (id) => (await releases.abort(id), { id, action: 'abort', version: host.get(id)!.version }), false, canaryEnded);
    let req: ReturnType<typeof parseCanaryRequest> | undefined;
    return act(
      request,
      reply,
      'canary',
      async (id) => releases.canary(id, (req = parseCanaryRequest(id, request.body))),
      false,
      // Every node of a cluster starts the same canary, at this weight (each node routes its own share).
      (id) => ({ version: host.get(id)?.version, ...(req ? { canary: { version: req.version, percent: req.percent, sticky_by: req.stickyBy } } : {}) }),
    );
  });
  app.post<{ Params: { id: string }; Body: unknown }>('/plugins/:id/canary/promote', async (request, reply) =>
    act(request, reply, 'canary_promote', async (id) => swapBody(id, 'promote', await releases.promote(id)), false, canaryEnded),
  );
  app.post<{ Params: { id: string }; Body: unknown }>('/plugins/:id/canary/abort', async (request, reply) =>
    act(request, reply, 'canary_abort', async (id) => (await releases.abort(id), { id, action: 'abort', version: host.get(id)!.version }), false, canaryEnded),
  );
}

/** The OpenAPI paths of the routes above (merged into the admin document). */
export function releaseOpenApiPaths(): Record<string, unknown> {
  const error = { $ref: '#/components/schemas/Error' };
  const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });
  const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' }, description: 'Plugin id' };
  const swap = {
    type: 'object',
    properties: {
      id: { type: 'string' },
      action: { type: 'string' },
      from: { type: 'string' },
      version: { type: 'string' },
      hash: { type: 'string', nullable: true },
      state: { type: 'string' },
      cut_over_ms: { type: 'number' },
      drain_ms: { type: 'number' },
      drained: { type: 'boolean' },
    },
  };
  const canary = {
    type: 'object',
    properties: {
      id: { type: 'string' },
      percent: { type: 'number' },
      sticky_by: { type: 'string', enum: ['user', 'none'] },
      started_at: { type: 'string' },
      stable: { type: 'object' },
      canary: { type: 'object', nullable: true },
    },
  };
  const errs = {
    '400': { description: 'Invalid request', ...json(error) },
    '404': { description: 'No such plugin or version', ...json(error) },
    '500': { description: 'The release failed; the previous version keeps serving', ...json(error) },
    '401': { description: 'Missing or wrong bearer token', ...json(error) },
  };
  const post = (operationId: string, summary: string, body: unknown, result: unknown) => ({
    post: {
      summary,
      operationId,
      parameters: [idParam],
      ...(body ? { requestBody: { required: false, ...json(body) } } : {}),
      responses: { '200': { description: 'Done', ...json(result) }, ...errs },
    },
  });
  return {
    '/plugins/{id}/versions': {
      get: {
        summary: 'Kept versions (newest first), the active and the desired (pinned) one',
        operationId: 'listPluginVersions',
        parameters: [idParam],
        responses: {
          '200': {
            description: 'Versions',
            ...json({
              type: 'object',
              properties: {
                id: { type: 'string' },
                active: { type: 'object' },
                desired: { type: 'object', nullable: true },
                versions: {
                  type: 'array',
                  items: { type: 'object', properties: { version: { type: 'string' }, hash: { type: 'string' }, saved_at: { type: 'string' }, active: { type: 'boolean' } } },
                },
              },
            }),
          },
          ...errs,
        },
      },
    },
    '/plugins/{id}/rollback': post(
      'rollbackPlugin',
      'Blue-green switch back to the previous or a named kept version (pinned across restarts)',
      { type: 'object', properties: { version: { type: 'string', description: 'Version string or content hash (prefix of 7+); default: previous' } } },
      swap,
    ),
    '/plugins/{id}/canary': {
      get: {
        summary: 'The running canary with per-version metrics side by side',
        operationId: 'getPluginCanary',
        parameters: [idParam],
        responses: { '200': { description: 'Canary', ...json(canary) }, ...errs },
      },
      ...post(
        'startPluginCanary',
        'Start a canary: route `percent` of the calls to `version` (a kept version or the one on disk); `{action: promote|abort}` also accepted',
        {
          type: 'object',
          required: ['version', 'percent'],
          properties: {
            version: { type: 'string' },
            percent: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 100 },
            sticky_by: { type: 'string', enum: ['user', 'none'], default: 'none' },
            action: { type: 'string', enum: ['promote', 'abort'] },
          },
        },
        canary,
      ),
    },
    '/plugins/{id}/canary/promote': post('promotePluginCanary', 'Make the canary the active version (blue-green cut-over, then the watch window)', undefined, swap),
    '/plugins/{id}/canary/abort': post('abortPluginCanary', 'Stop routing to the canary, drain and stop it', undefined, { type: 'object' }),
  };
}

/** A version without the `+<hash8>` the host appends when two contents share a version number. */
function baseVersion(v: string): string {
  return v.replace(/\+[0-9a-f]{8}$/, '');
}
