// Applies a version another node pinned in the shared desired state (a rollback, a reload, an
// automatic rollback published by the node that tripped it) to this node: a blue-green switch to
// the kept version with the same number, through the same release path as a local rollback.

import type { Logger } from 'pino';
import { isPlugwayError, reasonOf } from '../errors.js';
import type { Releases } from '../host/releases/types.js';

export interface PinDeps {
  releases: () => Releases | undefined;
  /** Where a kept version is missing here, a package store may supply it (cluster deploys). */
  fetchVersion?: (id: string, version: string) => Promise<boolean>;
  problem: (p: { plugin: string; code: string; message: string }) => void;
  logger?: Logger;
}

export function versionPinApplier(deps: PinDeps): (id: string, version: string) => Promise<void> {
  return async (id, version) => {
    const releases = deps.releases();
    if (!releases) return;
    const attempt = () => releases.rollback(id, version, 'cluster');
    try {
      const r = await attempt();
      deps.logger?.info({ plugin_id: id, version: r.to, from: r.from }, 'switched to the version the cluster pinned');
    } catch (err) {
      if (isPlugwayError(err) && err.code === 'PLW_ERR_RELOAD_FAILED' && /already serving/.test(err.message)) return;
      if (isPlugwayError(err) && err.code === 'PLW_ERR_VERSION_NOT_FOUND' && deps.fetchVersion && (await deps.fetchVersion(id, version).catch(() => false))) {
        try {
          const r = await attempt();
          deps.logger?.info({ plugin_id: id, version: r.to, from: r.from }, 'installed and switched to the version the cluster pinned');
          return;
        } catch (again) {
          err = again;
        }
      }
      const code = isPlugwayError(err) ? err.code : 'PLW_ERR_INTERNAL';
      deps.problem({ plugin: id, code, message: `could not switch to ${version} as the cluster pinned: ${reasonOf(err)}` });
      deps.logger?.warn({ plugin_id: id, desired_version: version, err: { code, message: reasonOf(err) } }, 'could not apply the version the cluster pinned; this node keeps its version');
    }
  };
}
