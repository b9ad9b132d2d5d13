// Follows a shared desired-state store (etcd): a plugin enabled or disabled on another node is
// enabled or disabled on this node's host too, one change at a time, in arrival order.

import type { Logger } from 'pino';
import { reasonOf } from '../errors.js';
import type { Host } from '../host/types.js';
import type { StateStore } from '../state/types.js';
import { sameConfig } from '../cluster/plugin-config.js';

export interface FollowOptions {
  logger?: Logger;
  /**
   * Switches the active version when the shared state pins another one. The hot-swap /
   * rollback work owns version switching; until it is wired here a pin is only logged.
   */
  applyVersionPin?: (id: string, version: string) => Promise<void>;
  /** Starts (canary set) or ends (null) the canary another node started, promoted or aborted. */
  applyCanary?: (id: string, canary: { version: string; percent: number; sticky_by: 'user' | 'none' } | null) => Promise<void>;
  /** Serves a plugin with the config another node set (PUT /admin/plugins/:id/config there). */
  applyConfig?: (id: string, config: Record<string, unknown>) => Promise<void>;
}

/** Subscribes to the store's watch (a no-op for stores without one); returns the unsubscribe. */
export function followDesiredState(host: Host, store: StateStore, opts: FollowOptions = {}): () => void {
  if (!store.watch) return () => undefined;
  let queue: Promise<void> = Promise.resolve();
  const pinLogged = new Set<string>();

  const applyOne = async (id: string): Promise<void> => {
    // The snapshot at apply time, not the event's copy: a later change may already have arrived.
    const want = store.snapshot().plugins[id];
    const inst = host.get(id);
    if (!want || !inst) return;
    if (!want.enabled && host.isEnabled(id)) {
      await host.disable(id);
      opts.logger?.info({ plugin_id: id, version: inst.version }, 'disabled by the shared desired state');
    } else if (want.enabled && !host.isEnabled(id)) {
      await host.enable(id);
      opts.logger?.info({ plugin_id: id, version: inst.version }, 'enabled by the shared desired state');
    }
    if (want.config && opts.applyConfig && !sameConfig(want.config, host.config.plugins.configs[id]?.config ?? {})) {
      await opts.applyConfig(id, want.config);
    }
    if (want.canary !== undefined && opts.applyCanary) await opts.applyCanary(id, want.canary);
    const active = host.get(id)?.version;
    if (want.version && active && want.version !== active) {
      if (opts.applyVersionPin) await opts.applyVersionPin(id, want.version);
      else if (!pinLogged.has(`${id}@${want.version}`)) {
        pinLogged.add(`${id}@${want.version}`);
        opts.logger?.warn({ plugin_id: id, version: active, desired_version: want.version }, 'the shared desired state names another version; this node does not switch versions from the store yet');
      }
    }
  };

  const enqueue = (id: string) => {
    queue = queue.then(() => applyOne(id).catch((err) => opts.logger?.warn({ plugin_id: id, err: { message: reasonOf(err) } }, 'could not apply a desired-state change from the shared store')));
  };
  const off = store.watch((change) => enqueue(change.id));
  // A change that arrived after the caller's first apply but before this subscription is in
  // the snapshot already: one idempotent pass over it closes that gap.
  for (const id of Object.keys(store.snapshot().plugins)) enqueue(id);
  return off;
}
