// Operator bookkeeping in one place: an action on a plugin (enable, disable, reload, rollback,
// a canary step, a hot reload) runs with route rebuilds held to one at its end, is written to the
// audit log, remembered in the desired state, and resets the plugin's breaker when a new version serves.

import { isPlugwayError, PlugwayError, reasonOf } from '../errors.js';
import type { AuditLog } from '../state/audit-log.js';
import type { StateStore } from '../state/types.js';
import type { GatewayCore } from './core.js';

/** What an action leaves behind for the desired state. */
export interface Remembered {
  enabled?: boolean;
  /** The version now active (stored as the plugin's desired version). */
  version?: string;
  /** A new version serves: its breaker starts closed. */
  resetBreaker?: boolean;
  /** The plugin's config set at run time (shared with every node through the desired state). */
  config?: Record<string, unknown>;
  /** A canary started (or null: ended) on this node, so that every node of a cluster runs the same. */
  canary?: SharedCanary | null;
}

export interface SharedCanary {
  version: string;
  percent: number;
  sticky_by: 'user' | 'none';
}

export interface OperatorAction<T> {
  actor: string;
  action: string;
  id: string;
  run(): Promise<T>;
  /** Default: the plugin's active version after the action. */
  remember?(result: T): Remembered | undefined;
}

export class Operator {
  constructor(
    private readonly core: GatewayCore,
    private readonly store: StateStore,
    private readonly audit: AuditLog,
  ) {}

  /** Runs `a`: throws its error as a PlugwayError (audited) or returns its result (audited, remembered). */
  async perform<T>(a: OperatorAction<T>): Promise<T> {
    const { core, store, audit } = this;
    let result: T;
    let keep: Remembered | undefined;
    try {
      // A shared store that cannot take the write (etcd away): refuse before anything changes here.
      store.assertWritable?.();
      result = await core.routesChanging(`${a.action} ${a.id}`, async () => {
        const r = await a.run();
        keep = a.remember ? a.remember(r) : { version: core.host.get(a.id)?.version };
        if (keep?.enabled !== undefined) await store.setEnabled(a.id, keep.enabled);
        return r;
      });
    } catch (err) {
      const e = isPlugwayError(err) ? err : new PlugwayError('PLW_ERR_INTERNAL', { reason: reasonOf(err) });
      await audit.append({ actor: a.actor, action: a.action, target: a.id, result: 'error', code: e.code, message: e.message }).catch(() => undefined);
      throw e;
    }
    if (keep?.resetBreaker) core.guard(a.id).breaker.reset();
    if (keep?.config || keep?.canary !== undefined) {
      const patch = { ...(keep.config ? { config: keep.config } : {}), ...(keep.canary !== undefined ? { canary: keep.canary } : {}), ...(keep.version ? { version: keep.version } : {}) };
      await store.update(a.id, patch).catch((err: unknown) => core.logger.warn({ plugin_id: a.id, err: { message: reasonOf(err) } }, 'config or canary not stored in the desired state'));
    } else if (keep?.version)
      await store.update(a.id, { version: keep.version }).catch((err: unknown) => core.logger.warn({ plugin_id: a.id, err: { message: reasonOf(err) } }, 'desired version not stored'));
    await audit.append({ actor: a.actor, action: a.action, target: a.id, result: 'ok' });
    return result;
  }

  /** What the host did on its own (an automatic rollback, a canary abort): audited and remembered, nothing run. */
  async record(actor: string, action: string, id: string, message: string): Promise<void> {
    await this.audit.append({ actor, action, target: id, result: 'ok', message }).catch(() => undefined);
    const version = this.core.host.get(id)?.version;
    if (version) await this.store.update(id, { version }).catch(() => undefined);
  }
}
