// The cluster's node list: each gateway on a shared etcd writes one key under a lease
// (<prefix>/nodes/<node id>) describing itself and its plugins; a node that stops renewing it
// (kill -9, partition) disappears when the lease expires. Reading every node's key gives the
// list and the version skew between nodes.

import { hostname } from 'node:os';
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { reasonOf } from '../errors.js';
import type { KvClient, LeasedKey } from '../state/etcd-client.js';

export interface NodePluginInfo {
  id: string;
  version: string;
  state: string;
  health: string;
}

/** What one node says about itself (the value of its key, JSON). */
export interface NodeInfo {
  id: string;
  /** Where its gateway listens (http://host:port), once known. */
  address?: string;
  plugway_version: string;
  started_at: string;
  updated_at: string;
  plugins: NodePluginInfo[];
  /** Cluster actions this node could not apply (a deployed package it refused, a pin it lacks). */
  problems?: Array<{ plugin?: string; code: string; message: string; at: string }>;
}

/** Which node runs which version of a plugin, for plugins whose nodes disagree. */
export interface VersionSkew {
  plugin: string;
  versions: Record<string, string[]>;
}

export interface NodeRegistryOptions {
  client: KvClient;
  /** The cluster's key prefix (state.etcd.prefix); nodes are `<prefix>/nodes/<id>`. */
  prefix: string;
  /** Lease TTL in seconds (default 10): how long a dead node stays listed. */
  ttlSeconds?: number;
  /** This node's id (see defaultNodeId). */
  nodeId: string;
  /** Builds this node's description when it is (re)published. */
  describe: () => Omit<NodeInfo, 'id' | 'updated_at' | 'started_at' | 'plugway_version'>;
  plugwayVersion: string;
  logger?: Logger;
}

/**
 * `<hostname>-<6 hex of the state dir's path>`: stable across restarts of one node (a durable
 * event subscription is named after it), distinct for two nodes on one machine.
 */
export const defaultNodeId = (stateDir: string) => `${hostname().replace(/[^A-Za-z0-9._-]/g, '-')}-${createHash('sha256').update(stateDir).digest('hex').slice(0, 6)}`;

export class NodeRegistry {
  readonly nodeId: string;
  readonly keyPrefix: string;
  private readonly startedAt = new Date().toISOString();
  private key?: LeasedKey;
  private publishing: Promise<void> = Promise.resolve();
  private pendingPublish = false;
  private closed = false;
  private regrant?: NodeJS.Timeout;

  constructor(private readonly opts: NodeRegistryOptions) {
    this.nodeId = opts.nodeId;
    this.keyPrefix = `${opts.prefix.replace(/\/+$/, '')}/nodes/`;
  }

  /**
   * Grants the lease and writes this node's key. With etcd away it keeps trying in the background
   * (the node serves meanwhile) and resolves false.
   */
  async start(): Promise<boolean> {
    try {
      await this.grant();
      return true;
    } catch (err) {
      this.opts.logger?.warn({ node_id: this.nodeId, err: { message: reasonOf(err) } }, 'cannot join the cluster node list yet (etcd unreachable); retrying');
      this.scheduleRegrant(1000);
      return false;
    }
  }

  private async grant(): Promise<void> {
    if (!this.opts.client.leasedKey) throw new Error('this key-value client has no leases');
    this.key = await this.opts.client.leasedKey(this.keyPrefix + this.nodeId, this.opts.ttlSeconds ?? 10, {
      onLost: (reason) => {
        // etcd was away longer than the TTL: the key is gone; come back as soon as etcd answers.
        this.key = undefined;
        this.opts.logger?.warn({ node_id: this.nodeId, err: { message: reason } }, 'cluster node lease lost; registering again when etcd answers');
        this.scheduleRegrant(500);
      },
    });
    await this.write();
  }

  private scheduleRegrant(ms: number): void {
    if (this.closed || this.regrant) return;
    this.regrant = setTimeout(() => {
      this.regrant = undefined;
      this.grant().catch(() => this.scheduleRegrant(Math.min(ms * 2, 5000)));
    }, ms);
    this.regrant.unref();
  }

  /** Rewrites this node's key with a fresh description; calls made meanwhile coalesce into one. */
  publish(): Promise<void> {
    if (this.pendingPublish) return this.publishing;
    this.pendingPublish = true;
    this.publishing = this.publishing.then(async () => {
      this.pendingPublish = false;
      if (!this.key || this.closed) return;
      try {
        await this.write();
      } catch (err) {
        this.opts.logger?.debug({ node_id: this.nodeId, err: { message: reasonOf(err) } }, 'could not publish the node description; the next change retries');
      }
    });
    return this.publishing;
  }

  private async write(): Promise<void> {
    const info: NodeInfo = {
      id: this.nodeId,
      plugway_version: this.opts.plugwayVersion,
      started_at: this.startedAt,
      updated_at: new Date().toISOString(),
      ...this.opts.describe(),
    };
    await this.key?.put(JSON.stringify(info));
  }

  /** Every live node, read from etcd, sorted by id. */
  async list(): Promise<NodeInfo[]> {
    const range = await this.opts.client.range(this.keyPrefix);
    const nodes: NodeInfo[] = [];
    for (const e of range.entries) {
      try {
        const v = JSON.parse(e.value) as NodeInfo;
        if (v && typeof v.id === 'string') nodes.push(v);
      } catch {
        // a foreign or torn value under our prefix is not a node
      }
    }
    return nodes.sort((a, b) => a.id.localeCompare(b.id));
  }

  /** Revokes the lease: this node leaves the list at once. */
  async stop(): Promise<void> {
    this.closed = true;
    if (this.regrant) clearTimeout(this.regrant);
    await this.publishing.catch(() => undefined);
    await this.key?.revoke();
    this.key = undefined;
  }
}

/** Plugins whose nodes run different versions, with the nodes on each version. */
export function versionSkew(nodes: readonly NodeInfo[]): VersionSkew[] {
  const by = new Map<string, Map<string, string[]>>();
  for (const n of nodes) {
    for (const p of n.plugins) {
      let versions = by.get(p.id);
      if (!versions) by.set(p.id, (versions = new Map()));
      const list = versions.get(p.version) ?? [];
      list.push(n.id);
      versions.set(p.version, list);
    }
  }
  const skew: VersionSkew[] = [];
  for (const [plugin, versions] of by) {
    if (versions.size > 1) skew.push({ plugin, versions: Object.fromEntries(versions) });
  }
  return skew.sort((a, b) => a.plugin.localeCompare(b.plugin));
}
