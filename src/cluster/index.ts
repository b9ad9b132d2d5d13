// What a gateway does as one node of a cluster: registers itself in the node list (etcd, under
// a lease) and keeps its description current as its plugins change state, health or version;
// shares domain events and WebSocket room broadcasts with the other nodes through NATS (cluster.nats.servers).

import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { EventBridge } from './event-bridge.js';
import { RoomRelay } from './room-relay.js';
import { deployDirOf } from './paths.js';
import type { ClusterDeploys } from './deploys.js';
import { natsPackageStore, type PackageStore } from './package-store.js';
import { reasonOf } from '../errors.js';
import type { Host } from '../host/types.js';
import { EtcdStateStore } from '../state/etcd-store.js';
import type { StateStore } from '../state/types.js';
import { PLUGWAY_VERSION } from '../version.js';
import { defaultNodeId, NodeRegistry, versionSkew, type NodeInfo, type VersionSkew } from './node-registry.js';

export { deployDirOf } from './paths.js';
export { NodeRegistry, versionSkew, type NodeInfo, type VersionSkew } from './node-registry.js';

export interface ClusterNode {
  readonly nodeId: string;
  /** The node list (etcd); absent when only NATS is configured. */
  readonly registry?: NodeRegistry;
  /** Domain events across nodes (NATS); absent without cluster.nats.servers. */
  readonly events?: EventBridge;
  /** WebSocket room broadcasts across nodes, on the events' NATS connection; absent without it. */
  readonly rooms?: RoomRelay;
  /** Plugin packages deployed cluster-wide (etcd records + NATS object store); needs both. */
  readonly deploys?: ClusterDeploys;
  /** Sets the address published for this node (known once the gateway listens). */
  setAddress(address: string): void;
  /** Records a cluster action this node could not apply; shown in GET /admin/nodes. */
  problem(p: { plugin?: string; code: string; message: string }): void;
  nodes(): Promise<{ nodes: NodeInfo[]; skew: VersionSkew[]; self: string }>;
  close(): Promise<void>;
}

const PUBLISH_ON = ['plugin.state_changed', 'plugin.health_changed', 'plugin.registered', 'plugin.unregistered', 'plugin.activated', 'plugin.swapped', 'plugin.rolled_back'];

/**
 * Joins the node list when the store is shared (etcd) and the event transport when NATS servers
 * are configured; undefined for a single node with neither.
 */
export interface JoinClusterOptions {
  host: Host;
  store: StateStore;
  logger?: Logger;
  metrics?: Registry;
  /** Loads and starts plugins new in the plugin folders (deploys of plugins this node lacks). */
  discover?: () => Promise<{ added: string[]; failed: Array<{ id?: string; code: string; message: string }> }>;
  /** Routes changed after a deploy. */
  changed?: (why: string) => void;
}

export async function joinCluster({ host, store, logger, metrics, discover, changed }: JoinClusterOptions): Promise<ClusterNode | undefined> {
  const config = host.config;
  const etcd = store instanceof EtcdStateStore ? store : undefined;
  const nats = config.cluster.nats;
  if (!etcd && nats.servers.length === 0) return undefined;
  const nodeId = config.cluster.nodeId ?? defaultNodeId(config.state.dir);
  let address = config.cluster.address;
  const problems: NonNullable<NodeInfo['problems']> = [];
  const registry = etcd
    ? new NodeRegistry({
        client: etcd.kv,
        prefix: etcd.prefix,
        ttlSeconds: config.cluster.nodeTtlS,
        nodeId,
        plugwayVersion: PLUGWAY_VERSION,
        logger,
        describe: () => ({
          ...(address ? { address } : {}),
          plugins: host.list().map((p) => ({ id: p.id, version: p.version, state: p.state, health: p.health })),
          ...(problems.length ? { problems: problems.slice(-20) } : {}),
        }),
      })
    : undefined;
  const offs: Array<() => void> = [];
  if (registry) {
    await registry.start();
    offs.push(...PUBLISH_ON.map((type) => host.events.on(type, () => void registry.publish())));
    logger?.info({ node_id: nodeId, ttl_s: config.cluster.nodeTtlS }, 'joined the cluster node list');
  }
  let deploys: ClusterDeploys | undefined;
  let packages: PackageStore | undefined;
  const problem = (p: { plugin?: string; code: string; message: string }) => {
    problems.push({ ...p, at: new Date().toISOString() });
    void registry?.publish();
  };
  if (etcd && nats.servers.length && discover) {
    packages = natsPackageStore({
      servers: nats.servers,
      user: nats.user,
      pass: nats.pass,
      token: nats.token,
      tls: nats.tls,
      bucket: `${etcd.prefix.replace(/[^A-Za-z0-9_-]/g, '_').replace(/^_+/, '') || 'plugway'}_packages`,
    });
    const deployDir = deployDirOf(config.state.dir);
    if (!config.plugins.directories.includes(deployDir)) config.plugins.directories.push(deployDir);
    // Loaded only here: package installs (tar, the npm client, signatures) are ~0.2 s of a start-up otherwise.
    const [{ ClusterDeploys }, { parsePublicKey }] = await Promise.all([import('./deploys.js'), import('../toolkit/signing.js')]);
    deploys = new ClusterDeploys({
      host,
      kv: etcd.kv,
      prefix: etcd.prefix,
      store: packages,
      nodeId,
      releases: () => host.releases,
      discover,
      deployDir,
      trustedKeys: config.trustedKeys.map((k) => parsePublicKey(k)),
      problem,
      logger,
      applied: (id) => changed?.(`deploy ${id}`),
    });
  }
  let events: EventBridge | undefined;
  if (nats.servers.length) {
    events = new EventBridge({ host, nodeId, servers: nats.servers, user: nats.user, pass: nats.pass, token: nats.token, tls: nats.tls, buffer: nats.buffer, logger, registry: metrics });
    events.start();
  }
  const rooms = events ? new RoomRelay({ events, nodeId, logger, registry: metrics }) : undefined;
  return {
    nodeId,
    registry,
    events,
    rooms,
    setAddress(a) {
      if (config.cluster.address) return; // an operator-set address wins over the listener's
      address = a;
      void registry?.publish();
    },
    problem,
    deploys,
    async nodes() {
      if (!registry) throw new Error('no node list without a shared state store (state.store: etcd)');
      const nodes = await registry.list();
      return { nodes, skew: versionSkew(nodes), self: nodeId };
    },
    async close() {
      for (const off of offs) off();
      await rooms?.close();
      await events?.close();
      await deploys?.close();
      await packages?.close();
      await registry?.stop().catch((err) => logger?.warn({ err: { message: reasonOf(err) } }, 'could not leave the node list cleanly; the lease expires by itself'));
    },
  };
}
