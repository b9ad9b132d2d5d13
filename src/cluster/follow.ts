// What this node does when the shared desired state (etcd) changes on another node: the version
// pinned there, the canary started or ended there, the config set there — each applied here through
// the same release path as a local operation, and a failure published as this node's problem.
// The gateway hands these to followDesiredState (gateway/state-sync.ts).

import type { Logger } from 'pino';
import { isPlugwayError, reasonOf } from '../errors.js';
import type { FollowOptions } from '../gateway/state-sync.js';
import type { Host } from '../host/types.js';
import { versionPinApplier } from './pins.js';
import { applyPluginConfig } from './plugin-config.js';

export type ClusterAppliers = Required<Pick<FollowOptions, 'applyVersionPin' | 'applyCanary' | 'applyConfig'>>;

export interface FollowClusterDeps {
  host: Host;
  logger?: Logger;
  /** Resolves once releases are wired (kept versions attached): nothing is applied before. */
  wired: Promise<void>;
  /** Publishes a problem in this node's entry of the node list (when the cluster has one). */
  problem(p: { plugin: string; code: string; message: string }): void;
  /** The gateway's one "routes changed" signal. */
  routesChanged(reason: string): void;
}

/** The appliers of what other nodes changed in the shared desired state. */
export function followCluster({ host, logger, wired, problem, routesChanged }: FollowClusterDeps): ClusterAppliers {
  const applyPin = versionPinApplier({ releases: () => host.releases, problem, logger });
  const failed = (id: string, err: unknown, what: string): void => problem({ plugin: id, code: isPlugwayError(err) ? err.code : 'PLW_ERR_INTERNAL', message: `could not ${what}: ${reasonOf(err)}` });
  return {
    async applyVersionPin(id, version) {
      await wired;
      await applyPin(id, version);
    },
    async applyCanary(id, want) {
      await wired;
      const running = host.releases.canaryStatus(id);
      try {
        if (!want) {
          if (running) await host.releases.abort(id, 'ended on another node of the cluster');
          return;
        }
        if (running && running.canary?.version === want.version && running.percent === want.percent) return;
        if (running) await host.releases.abort(id, 'replaced by the canary another node started');
        await host.releases.canary(id, { version: want.version, percent: want.percent, stickyBy: want.sticky_by });
        logger?.info({ plugin_id: id, canary_version: want.version, percent: want.percent }, 'running the canary the cluster started');
      } catch (err) {
        failed(id, err, `run the canary the cluster started (${want?.version} at ${want?.percent} %)`);
        throw err;
      } finally {
        routesChanged(`canary ${id}`);
      }
    },
    async applyConfig(id, config) {
      await wired;
      try {
        await applyPluginConfig(host, host.releases, id, config, 'cluster');
        logger?.info({ plugin_id: id }, 'serving the config the cluster set');
      } catch (err) {
        failed(id, err, 'apply the config the cluster set');
        throw err;
      }
    },
  };
}
