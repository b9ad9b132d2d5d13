// GET /admin/nodes: the cluster's nodes (etcd node list) with the version skew between them; a
// gateway on its own (file store) lists itself.

import type { FastifyInstance } from 'fastify';
import { hostname } from 'node:os';
import { PlugwayError, reasonOf } from '../../errors.js';
import type { ClusterNode } from '../../cluster/index.js';
import { PLUGWAY_VERSION } from '../../version.js';
import type { GatewayCore } from '../core.js';
import { errorBody, failure } from '../http-errors.js';
import { requestIdOf } from '../request-id.js';

const startedAt = new Date().toISOString();

export async function registerClusterRoutes(app: FastifyInstance, deps: { core: GatewayCore; cluster?: ClusterNode }): Promise<void> {
  const { core, cluster } = deps;
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
