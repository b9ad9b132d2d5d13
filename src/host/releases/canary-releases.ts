// Canary releases of the release manager: a second version brought up beside the active one,
// given a share of the calls and its own rollback watch (no time limit), until it is promoted (a
// normal cut-over with a watch window) or aborted (by hand, or by the watch: a rollback).

import { PlugwayError, reasonOf } from '../../errors.js';
import { hashPluginFiles } from '../../manifest/plugin-files.js';
import { canaryStatus, type CanaryRequest, type CanaryState } from './canary.js';
import { discard } from './hot-swap.js';
import { readCandidate, type DiskCandidate } from '../loader.js';
import type { PluginRecord } from '../registry.js';
import type { ReleaseSteps, ReleaseTrigger, SwapReport } from './types.js';
import { RollbackWatch, type TripCause } from './rollback-watch.js';

export class CanaryReleases {
  private readonly canaries = new Map<string, CanaryState>();

  constructor(private readonly steps: ReleaseSteps) {}

  running(id: string): CanaryState | undefined {
    return this.canaries.get(id);
  }

  status(id: string): ReturnType<typeof canaryStatus> | undefined {
    const c = this.canaries.get(id);
    return c ? canaryStatus(c, this.steps.deps.traffic) : undefined;
  }

  async start(id: string, req: CanaryRequest): Promise<ReturnType<typeof canaryStatus>> {
    const { steps } = this;
    const { deps } = steps;
    const stable = steps.require(id);
    if (this.canaries.has(id)) throw new PlugwayError('PLW_ERR_CANARY_INVALID', { id, reason: `a canary (${this.canaries.get(id)!.rec.version}) is already running; promote or abort it first` });
    if (stable.state !== 'running') throw new PlugwayError('PLW_ERR_CANARY_INVALID', { id, reason: `the active version is ${stable.state}` });
    const stableHash = await steps.hashOf(stable);
    let source: DiskCandidate | undefined;
    let knownHash: string | undefined;
    const origin = steps.sourceOf(stable);
    if (origin) {
      const onDisk = await readCandidate(origin);
      if (onDisk.result.manifest?.version === req.version || req.version === 'disk') source = origin;
    }
    if (!source) {
      const kept = await steps.versions?.get(id, req.version);
      if (!kept) throw new PlugwayError('PLW_ERR_VERSION_NOT_FOUND', { id, version: req.version });
      source = steps.versions!.candidateFor(id, kept.hash, kept.layout);
      knownHash = kept.hash;
    }
    if (knownHash && knownHash === stableHash) throw new PlugwayError('PLW_ERR_CANARY_INVALID', { id, reason: `version ${req.version} is the one already serving` });
    const { rec, hash } = await steps.bringUpBeside(id, source, knownHash);
    if (hash === stableHash) {
      await discard(rec, deps);
      throw new PlugwayError('PLW_ERR_CANARY_INVALID', { id, reason: `version ${req.version} is the one already serving` });
    }
    // A pending watch ends only once the canary is up (a failed bring-up leaves it and its rollback running).
    await steps.settleWatch(id, rec);
    const watch = new RollbackWatch(rec, { ...steps.rules, windowMs: Infinity }, deps, (reason, cause) => void this.tripped(id, rec, reason, cause));
    const state: CanaryState = {
      id,
      rec,
      hash,
      percent: req.percent,
      stickyBy: req.stickyBy,
      startedAt: new Date().toISOString(),
      stable,
      stableBaseline: { ...deps.traffic.countersOf(stable) },
      watch,
    };
    this.canaries.set(id, state);
    watch.start();
    deps.traffic.setSplit(id, { canary: rec, percent: req.percent, stickyBy: req.stickyBy });
    await steps.emit('plugin.canary_started', { id, version: rec.version, percent: req.percent, sticky_by: req.stickyBy });
    return canaryStatus(state, deps.traffic);
  }

  async promote(id: string, trigger: ReleaseTrigger, t0: number): Promise<SwapReport> {
    const { steps } = this;
    const c = this.canaries.get(id);
    if (!c) throw new PlugwayError('PLW_ERR_CANARY_INVALID', { id, reason: 'no canary is running' });
    const stable = steps.require(id);
    // A promoted kept version that is not what the folder holds is pinned, or a restart would serve the folder's.
    const origin = steps.sourceOf(stable);
    const diskHash = origin ? await hashPluginFiles(origin).catch(() => undefined) : undefined;
    const pinned = diskHash !== c.hash;
    this.canaries.delete(id);
    c.watch.cancel();
    const report = await steps.switchTo(stable, c.rec, c.hash, trigger === 'api' ? 'canary' : trigger, t0, { watch: true, pinned, reason: pinned ? `canary ${c.rec.version} promoted` : undefined });
    await steps.emit('plugin.canary_promoted', { id, version: c.rec.version });
    return report;
  }

  async abort(id: string, reason: string, automatic: boolean, cause: TripCause | 'manual' = 'manual'): Promise<void> {
    const { steps } = this;
    const { deps } = steps;
    const c = this.canaries.get(id);
    if (!c) throw new PlugwayError('PLW_ERR_CANARY_INVALID', { id, reason: 'no canary is running' });
    this.canaries.delete(id);
    c.watch.cancel();
    deps.traffic.clearSplit(id);
    await deps.traffic.drain(c.rec, deps.config.reload.drainTimeoutMs);
    await discard(c.rec, deps);
    await steps.emit('plugin.canary_aborted', { id, version: c.rec.version, reason, automatic });
    if (automatic && steps.versions) await steps.versions.markRejected(id, c.hash, reason).catch(() => undefined);
    if (automatic) steps.noteRollback({ id, from: c.rec.version, to: c.stable.version, reason, cause, automatic, canary: true });
  }

  /** The canary's watch tripped: abort it under the plugin's lock (unless it is gone already). */
  private tripped(id: string, rec: PluginRecord, reason: string, cause: TripCause): Promise<void> {
    const { deps } = this.steps;
    return deps.registry
      .lock(id, async () => {
        if (this.canaries.get(id)?.rec !== rec) return;
        await this.abort(id, reason, true, cause);
      })
      .catch((err) => deps.logger.error({ plugin_id: id, err: { message: reasonOf(err) } }, 'aborting the canary failed'));
  }

  /** Ends every canary and drops its instance (the host is stopping). */
  async shutdown(): Promise<void> {
    const { deps } = this.steps;
    for (const [id, c] of [...this.canaries]) {
      this.canaries.delete(id);
      c.watch.cancel();
      deps.traffic.clearSplit(id);
      await discard(c.rec, deps).catch(() => undefined);
    }
  }
}
