// GET /admin/nodes: the cluster's nodes (etcd node list) with the version skew between them; a
// gateway on its own (file store) lists itself.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { tokenIdentity, type AuditLog } from '../../state/audit-log.js';
import { hostname } from 'node:os';
import { isPlugwayError, PlugwayError, reasonOf } from '../../errors.js';
import type { ClusterNode } from '../../cluster/index.js';
import { PLUGWAY_VERSION } from '../../version.js';
import type { GatewayCore } from '../core.js';
import type { Operator } from '../operator.js';
import { redactSecrets } from '../logging.js';
import { applyPluginConfig, checkPluginConfig } from '../../cluster/plugin-config.js';
import { errorBody, failure } from '../http-errors.js';
import { requestIdOf } from '../request-id.js';

const startedAt = new Date().toISOString();

/** Largest package a deploy accepts (base64 in JSON: ~4/3 of this on the wire). */
const MAX_PACKAGE_BYTES = 64 * 1024 * 1024;

export async function registerClusterRoutes(app: FastifyInstance, deps: { core: GatewayCore; cluster?: ClusterNode; audit: AuditLog; operator: Operator }): Promise<void> {
  const { core, cluster, audit, operator } = deps;
  const send = (request: FastifyRequest, reply: FastifyReply, err: unknown) => {
    const e = isPlugwayError(err) ? err : new PlugwayError('PLW_ERR_INTERNAL', { reason: reasonOf(err) });
    const f = failure(e);
    return reply
      .code(f.status)
      .header('content-type', 'application/json; charset=utf-8')
      .send(errorBody(f, requestIdOf(request.headers['x-request-id'])));
  };

  // PUT /admin/plugins/:id/config {…}: the whole config, checked against the plugin's config_schema
  // before anything changes; served through a blue-green swap; kept in the desired state (every node
  // of a cluster applies it).
  app.put<{ Params: { id: string } }>('/plugins/:id/config', async (request, reply) => {
    const id = request.params.id;
    const actor = tokenIdentity(/^Bearer\s+(.+)$/i.exec(String(request.headers.authorization ?? ''))?.[1]?.trim());
    let config: Record<string, unknown>;
    try {
      config = checkPluginConfig(core.host, id, request.body ?? {});
    } catch (err) {
      const e = isPlugwayError(err) ? err : new PlugwayError('PLW_ERR_INTERNAL', { reason: reasonOf(err) });
      await audit.append({ actor, action: 'config', target: id, result: 'error', code: e.code, message: e.message }).catch(() => undefined);
      return send(request, reply, e);
    }
    try {
      await operator.perform({
        actor,
        action: 'config',
        id,
        run: () => applyPluginConfig(core.host, core.host.releases, id, config, 'api'),
        remember: () => ({ config, version: core.host.get(id)?.version, resetBreaker: true }),
      });
    } catch (err) {
      return send(request, reply, err); // audited by the operator
    }
    const p = core.host.get(id)!;
    return { id, action: 'config', version: p.version, state: p.state, config: redactSecrets(p.config) };
  });

  app.get<{ Params: { id: string } }>('/plugins/:id/config', async (request, reply) => {
    const p = core.host.get(request.params.id);
    if (!p) return send(request, reply, new PlugwayError('PLW_ERR_PLUGIN_NOT_FOUND', { id: request.params.id }));
    return { id: p.id, version: p.version, config: redactSecrets(p.config) };
  });

  // POST /admin/cluster/deploy {package: <base64 .tgz>, signature?: <the .sig file's text>}
  app.post('/cluster/deploy', { bodyLimit: Math.ceil(MAX_PACKAGE_BYTES * 1.4) + 65_536 }, async (request, reply) => {
    const actor = tokenIdentity(/^Bearer\s+(.+)$/i.exec(String(request.headers.authorization ?? ''))?.[1]?.trim());
    try {
      if (!cluster?.deploys) {
        throw new PlugwayError('PLW_ERR_CLUSTER_REQUIRED', {
          action: 'plugway plugin deploy',
          reason: 'this gateway has no cluster package store: set state.store: etcd and cluster.nats.servers (or install with plugway plugin install on a single node)',
        });
      }
      const body = (request.body ?? {}) as { package?: unknown; signature?: unknown };
      if (typeof body.package !== 'string' || !body.package)
        throw new PlugwayError('PLW_ERR_BAD_REQUEST', { reason: 'the body must be JSON {"package": "<base64 of the .tgz>", "signature": "<text of the .tgz.sig>"}' });
      const pkg = Buffer.from(body.package, 'base64');
      if (pkg.length > MAX_PACKAGE_BYTES) throw new PlugwayError('PLW_ERR_BAD_REQUEST', { reason: `the package is ${pkg.length} bytes; at most ${MAX_PACKAGE_BYTES}` });
      const signature = typeof body.signature === 'string' ? body.signature : body.signature && typeof body.signature === 'object' ? JSON.stringify(body.signature) : undefined;
      const record = await cluster.deploys.deploy(pkg, signature, actor);
      await audit.append({ actor, action: 'deploy', target: `${record.id}@${record.version}`, result: 'ok', message: `sha256 ${record.sha256}` });
      return reply.code(202).send({ deployed: record });
    } catch (err) {
      const e = isPlugwayError(err) ? err : new PlugwayError('PLW_ERR_INTERNAL', { reason: reasonOf(err) });
      await audit.append({ actor, action: 'deploy', target: 'package', result: 'error', code: e.code, message: e.message }).catch(() => undefined);
      return send(request, reply, e);
    }
  });

  app.get('/nodes', async (request, reply) => {
    if (!cluster?.registry) {
      const self = {
        id: hostname(),
        plugway_version: PLUGWAY_VERSION,
        started_at: startedAt,
        updated_at: new Date().toISOString(),
        plugins: core.host.list().map((p) => ({ id: p.id, version: p.version, state: p.state, health: p.health })),
      };
      return { cluster: false, self: self.id, nodes: [self], skew: [] };
    }
    try {
      return { cluster: true, ...(await cluster.nodes()) };
    } catch (err) {
      const f = failure(new PlugwayError('PLW_ERR_STATE_UNAVAILABLE', { store: 'etcd (node list)', reason: reasonOf(err) }));
      return reply.code(f.status).send(errorBody(f, requestIdOf(request.headers['x-request-id'])));
    }
  });
}

/** The routes above in the admin OpenAPI document. */
export function clusterOpenApiPaths(): Record<string, unknown> {
  const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });
  const error = { $ref: '#/components/schemas/Error' };
  const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string' } };
  const common = { '401': { description: 'Missing or wrong bearer token', ...json(error) } };
  const node = {
    type: 'object',
    required: ['id', 'plugway_version', 'started_at', 'plugins'],
    properties: {
      id: { type: 'string' },
      address: { type: 'string' },
      plugway_version: { type: 'string' },
      started_at: { type: 'string' },
      updated_at: { type: 'string' },
      plugins: { type: 'array', items: { type: 'object', properties: { id: { type: 'string' }, version: { type: 'string' }, state: { type: 'string' }, health: { type: 'string' } } } },
      problems: { type: 'array', items: { type: 'object', properties: { plugin: { type: 'string' }, code: { type: 'string' }, message: { type: 'string' }, at: { type: 'string' } } } },
    },
  };
  return {
    '/nodes': {
      get: {
        summary:
          "The cluster's nodes (etcd node list, under leases) with their plugins' versions and health, the version skew between them, and what a node could not apply; a single gateway lists itself",
        operationId: 'listNodes',
        responses: {
          '200': {
            description: 'Nodes',
            ...json({
              type: 'object',
              required: ['cluster', 'self', 'nodes', 'skew'],
              properties: {
                cluster: { type: 'boolean' },
                self: { type: 'string' },
                nodes: { type: 'array', items: node },
                skew: {
                  type: 'array',
                  items: { type: 'object', properties: { plugin: { type: 'string' }, versions: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } } } },
                },
              },
            }),
          },
          '503': { description: 'etcd does not answer (PLW_ERR_STATE_UNAVAILABLE)', ...json(error) },
          ...common,
        },
      },
    },
    '/cluster/deploy': {
      post: {
        summary: 'Deploy a package to every node: checked here, stored in the cluster package store (NATS object store), announced in etcd; every node verifies and installs it',
        operationId: 'deployPackage',
        requestBody: {
          required: true,
          ...json({
            type: 'object',
            required: ['package'],
            properties: { package: { type: 'string', description: 'base64 of the .tgz made by plugway plugin pack' }, signature: { type: 'string', description: 'the text of its .tgz.sig' } },
          }),
        },
        responses: {
          '202': {
            description: 'Stored and announced',
            ...json({
              type: 'object',
              properties: { deployed: { type: 'object', properties: { id: { type: 'string' }, version: { type: 'string' }, sha256: { type: 'string' }, by: { type: 'string' } } } },
            }),
          },
          '409': { description: 'No cluster package store here (PLW_ERR_CLUSTER_REQUIRED)', ...json(error) },
          '500': { description: 'The package failed its checks (PLW_ERR_PACKAGE_INVALID, PLW_ERR_SIGNATURE_INVALID, …)', ...json(error) },
          ...common,
        },
      },
    },
    '/plugins/{id}/config': {
      get: {
        summary: "A plugin's config (secrets redacted)",
        operationId: 'getPluginConfig',
        parameters: [idParam],
        responses: { '200': { description: 'Config', ...json({ type: 'object' }) }, '404': { description: 'No such plugin', ...json(error) }, ...common },
      },
      put: {
        summary: "Replace a plugin's config: checked against its config_schema, served through a blue-green swap, kept in the desired state (every node of a cluster applies it)",
        operationId: 'setPluginConfig',
        parameters: [idParam],
        requestBody: { required: true, ...json({ type: 'object' }) },
        responses: {
          '200': { description: 'Served with the new config', ...json({ type: 'object' }) },
          '400': { description: 'The config does not fit the schema (PLW_ERR_PLUGIN_CONFIG_INVALID); nothing changed', ...json(error) },
          '404': { description: 'No such plugin', ...json(error) },
          '503': { description: 'The shared store does not answer; nothing changed', ...json(error) },
          ...common,
        },
      },
    },
  };
}
