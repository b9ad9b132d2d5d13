// What a gateway does as one node of a cluster: registers itself in the node list (etcd, under
// a lease) and keeps its description current as its plugins change state, health or version.

import type { Logger } from 'pino';
import { reasonOf } from '../errors.js';
import type { Host } from '../host/types.js';
import { EtcdStateStore } from '../state/etcd-store.js';
import type { StateStore } from '../state/types.js';
import { PLUGWAY_VERSION } from '../version.js';
import { NodeRegistry, versionSkew, type NodeInfo, type VersionSkew } from './node-registry.js';

export { NodeRegistry, versionSkew, type NodeInfo, type VersionSkew } from './node-registry.js';

export interface ClusterNode {
  readonly registry: NodeRegistry;
  /** Sets the address published for this node (known once the gateway listens). */
  setAddress(address: string): void;
  /** Records a cluster action this node could not apply; shown in GET /admin/nodes. */
  problem(p: { plugin?: string; code: string; message: string }): void;
  nodes(): Promise<{ nodes: NodeInfo[]; skew: VersionSkew[]; self: string }>;
  close(): Promise<void>;
}

const PUBLISH_ON = ['plugin.state_changed', 'plugin.health_changed', 'plugin.registered', 'plugin.unregistered', 'plugin.activated', 'plugin.swapped', 'plugin.rolled_back'];

/** Joins the node list when the store is shared (etcd); undefined for a single node's file store. */
export async function joinCluster(host: Host, store: StateStore, logger?: Logger): Promise<ClusterNode | undefined> {
  if (!(store instanceof EtcdStateStore)) return undefined;
  const config = host.config;
  let address = config.cluster.address;
  const problems: NonNullable<NodeInfo['problems']> = [];
  const registry = new NodeRegistry({
    client: store.kv,
    prefix: store.prefix,
    ttlSeconds: config.cluster.nodeTtlS,
    nodeId: config.cluster.nodeId,
    plugwayVersion: PLUGWAY_VERSION,
    logger,
    describe: () => ({
      ...(address ? { address } : {}),
      plugins: host.list().map((p) => ({ id: p.id, version: p.version, state: p.state, health: p.health })),
      ...(problems.length ? { problems: problems.slice(-20) } : {}),
    }),
  });
  await registry.start();
  const offs = PUBLISH_ON.map((type) => host.events.on(type, () => void registry.publish()));
  logger?.info({ node_id: registry.nodeId, ttl_s: config.cluster.nodeTtlS }, 'joined the cluster node list');
  return {
    registry,
    setAddress(a) {
      if (config.cluster.address) return; // an operator-set address wins over the listener's
      address = a;
      void registry.publish();
    },
    problem(p) {
      problems.push({ ...p, at: new Date().toISOString() });
      void registry.publish();
    },
    async nodes() {
      const nodes = await registry.list();
      return { nodes, skew: versionSkew(nodes), self: registry.nodeId };
    },
    async close() {
      for (const off of offs) off();
      await registry.stop().catch((err) => logger?.warn({ err: { message: reasonOf(err) } }, 'could not leave the node list cleanly; the lease expires by itself'));
    },
  };
}
