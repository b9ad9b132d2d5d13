// Releases of one plugin at a time: blue-green reload, the watch window with automatic rollback,
// manual rollback to the previous or a kept version, canaries, and the desired version across restarts.

import { PlugwayError, isPlugwayError, reasonOf } from '../../errors.js';
import { hashPluginFiles } from '../../manifest/plugin-files.js';
import type { KeptVersion, VersionStore } from '../../state/versions.js';
import type { CanaryRequest } from './canary.js';
import { CanaryReleases } from './canary-releases.js';
import { cutOver, discard, prepareBeside, reloadFailed } from './hot-swap.js';
import type { CanaryStatus, ReleaseDeps, Releases, ReleaseSteps, ReleaseTrigger, RolledBack, SwapReport } from './types.js';
import { candidateOf, mapLimit, readCandidate, type DiskCandidate } from '../loader.js';
import type { PluginRecord } from '../registry.js';
import { RollbackWatch, type TripCause } from './rollback-watch.js';
import { ensureFreshBuild, entryFacts, rootOf } from '../build-freshness.js';
import { RunningCopies, type KeptFacts } from './running-copies.js';

interface Watch {
  watch: RollbackWatch;
  next: PluginRecord;
  standby: PluginRecord;
}

/** The one release manager of a host: `host.releases` (typed as Releases; the canary steps are ReleaseSteps). */
export class ReleaseManager implements Releases, ReleaseSteps {
  versions?: VersionStore;
  private readonly origins = new Map<string, DiskCandidate>();
  private readonly hashes = new WeakMap<PluginRecord, string>();
  private readonly meta = new WeakMap<PluginRecord, KeptFacts>();
  private readonly watches = new Map<string, Watch>();
  private readonly canaries = new CanaryReleases(this);
  private readonly rolledBack: RolledBack[] = [];

  /** The running versions' first copies, taken in the background (running-copies.ts). */
  private readonly copies: RunningCopies;

  constructor(readonly deps: ReleaseDeps) {
    this.copies = new RunningCopies({
      registry: deps.registry,
      logger: deps.logger,
      sourceOf: (rec) => this.sourceOf(rec),
      knownHash: (rec) => this.knownHash(rec),
      kept: (rec, hash, facts) => {
        this.hashes.set(rec, hash);
        this.meta.set(rec, facts);
      },
    });
  }

  get rules() {
    const r = this.deps.config.reload;
    return { windowMs: r.watchWindowMs, errorRateThreshold: r.errorRateThreshold, minCalls: r.minCalls };
  }

  originOf(id: string): DiskCandidate | undefined {
    const rec = this.deps.registry.get(id);
    return rec ? this.sourceOf(rec) : undefined;
  }

  /** Where `rec`'s plugin is read from on a reload: its folder on disk, never a kept snapshot. */
  sourceOf(rec: PluginRecord): DiskCandidate | undefined {
    const known = this.origins.get(rec.id);
    if (known) return known;
    const c = candidateOf(rec);
    if (c) this.origins.set(rec.id, c);
    return c;
  }

  /** The content hash of `rec`'s files as they were read (from the loader, or the kept copy it was brought up from). */
  private knownHash(rec: PluginRecord): string | undefined {
    return this.hashes.get(rec) ?? rec.files?.hash;
  }

  async hashOf(rec: PluginRecord): Promise<string | undefined> {
    const known = this.knownHash(rec);
    if (known) return known;
    const c = candidateOf(rec);
    if (!c) return undefined;
    const h = await hashPluginFiles(c).catch(() => undefined);
    if (h) this.hashes.set(rec, h);
    return h;
  }

  /** Keeps versions in `store` from now on; the running disk plugins' are copied in the background, off the path to listening. */
  async attachVersions(store: VersionStore): Promise<void> {
    this.versions = store;
    this.copies.start(store);
  }

  whenKept(id?: string): Promise<void> {
    return this.copies.whenKept(id);
  }

  /** After a restart: serve the version a rollback pinned, if the files on disk are another one. */
  async applyDesired(): Promise<Array<{ id: string; version: string }>> {
    const store = this.versions;
    const applied: Array<{ id: string; version: string }> = [];
    if (!store) return applied;
    // Read in parallel (on the path to listening: 1,000 indexes one by one took ~100 ms); swaps one by one.
    const recs = this.deps.registry.list();
    const wants = await mapLimit(recs, 64, (rec) => store.desired(rec.id).catch(() => undefined));
    for (const [i, rec] of recs.entries()) {
      const want = wants[i];
      if (!want?.pinned || rec.state !== 'running') continue;
      if ((await this.hashOf(rec)) === want.hash) continue;
      try {
        const r = await this.swapToKept(rec.id, want.hash, 'restart', false);
        applied.push({ id: rec.id, version: r.to });
        this.deps.logger.info({ plugin_id: rec.id, version: r.to }, `serving the pinned version ${r.to} (the files on disk are another version)`);
      } catch (err) {
        this.deps.logger.error({ plugin_id: rec.id, err: { message: reasonOf(err) } }, `could not restore the pinned version ${want.version}`);
      }
    }
    return applied;
  }

  // --- reload ---------------------------------------------------------------------------------

  /**
   * Blue-green reload from the plugin's folder on disk; the watch window follows. Content equal to
   * the serving version's is a no-op (`unchanged`): no swap, no rename, no new watch window.
   */
  reload(id: string, trigger: ReleaseTrigger = 'host', opts: { force?: boolean } = {}): Promise<SwapReport> {
    const t0 = performance.now();
    return this.deps.registry.lock(id, async () => {
      const old = this.require(id);
      await this.copies.keep(old);
      const canary = this.canaries.running(id);
      if (canary) throw new PlugwayError('PLW_ERR_CANARY_RUNNING', { id, version: canary.rec.version });
      const origin = this.sourceOf(old);
      if (!origin) throw reloadFailed(id, 'read', 'it was registered in code, not loaded from disk');
      // Sources newer than the built entry: build (build.mjs) or refuse, never serve the old build under a new version.
      try {
        const built = await ensureFreshBuild(id, origin, (await readCandidate(origin)).entryPath, this.deps.logger);
        if (built.rebuilt) await this.emit('plugin.rebuilt', { id, trigger, duration_ms: built.durationMs });
      } catch (err) {
        await this.emit('plugin.reload_failed', { id, step: 'build', message: reasonOf(err), code: (err as PlugwayError).code });
        throw err;
      }
      let diskHash: string;
      try {
        diskHash = await hashPluginFiles(origin);
      } catch (err) {
        throw reloadFailed(id, 'read', err);
      }
      // Only a hash known for this instance counts (hashOf would hash the folder as it is now, not as it was loaded).
      // `force`: the same code with a new config (PUT /admin/plugins/:id/config) still goes through a swap.
      if (!opts.force && old.state === 'running' && this.knownHash(old) === diskHash) {
        await this.emit('plugin.reload_unchanged', { id, version: old.version, hash: diskHash, trigger });
        return { instance: old, from: old.version, to: old.version, hash: diskHash, trigger, cutOverMs: 0, drainMs: 0, drained: true, unchanged: true };
      }
      const { rec, hash, fresh } = await this.bringUpBeside(id, origin, diskHash);
      // A pending watch ends only now that the new version is up: a failed bring-up leaves it (and its rollback) running.
      await this.settleWatch(id, rec);
      try {
        const report = await this.switchTo(old, rec, hash, trigger, t0, { watch: true, pinned: false });
        await this.emit('plugin.swapped', { id, from: report.from, to: report.to, trigger, cut_over_ms: report.cutOverMs, drain_ms: report.drainMs });
        return report;
      } catch (err) {
        if (fresh && this.versions) await this.versions.discard(id, hash).catch(() => undefined);
        throw err;
      }
    });
  }

  /**
   * Brings `source` up beside the active instance; when its content is the stopped standby's of the
   * running watch, that standby is restarted instead (a second instance would be renamed `<version>+<hash8>`).
   */
  async bringUpBeside(id: string, source: DiskCandidate, knownHash?: string): Promise<{ rec: PluginRecord; hash: string; fresh: boolean }> {
    const w = this.watches.get(id);
    const standbyHash = w ? this.knownHash(w.standby) : undefined;
    if (w && standbyHash && w.standby.state === 'stopped' && w.standby.runtime) {
      const hash = knownHash ?? (await hashPluginFiles(source).catch(() => undefined));
      if (hash === standbyHash) {
        const standby = w.standby;
        try {
          await this.deps.lifecycle.start(standby);
          const h = await this.deps.health.check(standby);
          if (h.status === 'unhealthy') throw new Error(`health check: ${h.message ?? 'unhealthy'}`);
        } catch (err) {
          // The watch keeps it as its standby; its rollback loads the kept copy when the standby cannot restart.
          if (standby.state === 'running') await this.deps.lifecycle.stop(standby).catch(() => undefined);
          void this.emit('plugin.reload_failed', { id, step: 'start', message: reasonOf(err) });
          throw reloadFailed(id, 'start', err);
        }
        return { rec: standby, hash: standbyHash, fresh: false };
      }
    }
    return this.bringUp(id, source, knownHash);
  }

  /** Snapshots (when versions are kept) and brings `source` up beside the active instance. */
  private async bringUp(id: string, source: DiskCandidate, knownHash?: string): Promise<{ rec: PluginRecord; hash: string; fresh: boolean }> {
    let candidate = source;
    let hash = knownHash;
    let fresh = false;
    let meta: Pick<KeptVersion, 'files' | 'layout'> | undefined;
    try {
      if (this.versions) {
        const saved = await this.versions.save(id, source, { known: knownHash });
        meta = { files: saved.files, layout: saved.layout };
        candidate = saved.candidate;
        hash = saved.hash;
        fresh = !saved.existed;
      } else hash ??= await hashPluginFiles(source);
    } catch (err) {
      throw reloadFailed(id, 'read', err);
    }
    const read = await readCandidate(candidate);
    try {
      const rec = await prepareBeside(id, read, hash!, this.deps);
      this.hashes.set(rec, hash!);
      if (meta) this.meta.set(rec, { ...meta, ...(await entryFacts(rootOf(candidate), rec.entryPath)) });
      return { rec, hash: hash!, fresh };
    } catch (err) {
      if (fresh && this.versions) await this.versions.discard(id, hash!).catch(() => undefined);
      void this.emit('plugin.reload_failed', { id, step: isPlugwayError(err) ? err.params.step : 'unknown', message: reasonOf(err) });
      throw err;
    }
  }

  /** Cut-over to `next`, drain and stop `old`; keeps `old` as the standby of a watch window, or drops it. */
  async switchTo(old: PluginRecord, next: PluginRecord, hash: string, trigger: ReleaseTrigger, t0: number, opts: { watch: boolean; pinned: boolean; reason?: string }): Promise<SwapReport> {
    const wasServing = old.state === 'running';
    const { cutOverAt, drainMs, drained } = await cutOver(old, next, this.deps.config.reload.drainTimeoutMs, this.deps);
    const id = next.id;
    if (this.versions) {
      const oldHash = this.knownHash(old);
      const meta = this.meta.get(next);
      if (meta) await this.versions.record(id, { hash, version: next.version, ...meta }, oldHash ? [oldHash] : []).catch((err) => this.deps.logger.warn({ err }, 'versions index not written'));
      await this.versions.setDesired(id, { hash, version: next.version, pinned: opts.pinned, reason: opts.reason }).catch(() => undefined);
    }
    if (opts.watch && wasServing && this.rules.windowMs > 0) {
      const watch = new RollbackWatch(
        next,
        this.rules,
        this.deps,
        (reason, cause) => void this.tripped(id, next, reason, cause),
        () => void this.passed(id, next),
      );
      this.watches.set(id, { watch, next, standby: old });
      watch.start();
    } else {
      await discard(old, this.deps);
    }
    return { instance: next, from: old.version, to: next.version, hash, trigger, cutOverMs: cutOverAt - t0, drainMs, drained };
  }

  // --- watch window ---------------------------------------------------------------------------

  /** The watch of `id` ends early (a new release supersedes it): the standby is dropped, unless it is `keep` (the new release). */
  async settleWatch(id: string, keep?: PluginRecord): Promise<void> {
    const w = this.watches.get(id);
    if (!w) return;
    this.watches.delete(id);
    w.watch.cancel();
    if (w.standby !== keep) await discard(w.standby, this.deps);
  }

  private passed(id: string, next: PluginRecord): Promise<void> {
    return this.deps.registry.lock(id, async () => {
      const w = this.watches.get(id);
      if (!w || w.next !== next) return;
      this.watches.delete(id);
      await discard(w.standby, this.deps);
      this.deps.logger.info({ plugin_id: id, version: next.version }, `${id}@${next.version} passed its watch window`);
      await this.emit('plugin.release_confirmed', { id, version: next.version });
    });
  }

  private tripped(id: string, bad: PluginRecord, reason: string, cause: TripCause): Promise<void> {
    return this.deps.registry
      .lock(id, async () => {
        const w = this.watches.get(id);
        if (!w || w.next !== bad || this.deps.registry.get(id) !== bad) return;
        this.watches.delete(id);
        await this.rollBackTo(id, bad, w.standby, reason, cause, true);
      })
      .catch((err) => this.deps.logger.error({ plugin_id: id, err: { message: reasonOf(err) } }, `automatic rollback of ${id} failed; ${bad.version} keeps serving`));
  }

  /** Restarts the stopped standby (or a fresh instance of its kept files) and switches back to it. */
  private async rollBackTo(id: string, bad: PluginRecord, standby: PluginRecord, reason: string, cause: TripCause | 'manual', automatic: boolean): Promise<SwapReport> {
    const t0 = performance.now();
    let target = standby;
    const hash = (await this.hashOf(standby)) ?? '';
    try {
      if (standby.state === 'stopped' && standby.runtime) {
        await this.deps.lifecycle.start(standby);
        const h = await this.deps.health.check(standby);
        if (h.status === 'unhealthy') throw new Error(h.message ?? 'unhealthy');
      } else throw new Error(`the standby is ${standby.state}`);
    } catch (err) {
      this.deps.logger.warn({ plugin_id: id, err: { message: reasonOf(err) } }, 'the standby did not come back; loading its kept files');
      await discard(standby, this.deps).catch(() => undefined);
      const kept = this.versions && hash ? await this.versions.get(id, hash) : undefined;
      if (!kept) throw reloadFailed(id, 'rollback', `the previous version could not be restarted (${reasonOf(err)}) and no kept copy exists`);
      target = (await this.bringUp(id, this.versions!.candidateFor(id, kept.hash, kept.layout), kept.hash)).rec;
    }
    const report = await this.switchTo(bad, target, hash, automatic ? 'auto_rollback' : 'rollback', t0, { watch: false, pinned: true, reason });
    if (automatic) await this.markRejected(id, bad, reason);
    this.noteRollback({ id, from: bad.version, to: target.version, reason, cause, automatic, canary: false });
    return report;
  }

  /** A version the rollback rules threw out is never "the previous version" of a later rollback. */
  private async markRejected(id: string, rec: PluginRecord, reason: string): Promise<void> {
    const hash = this.knownHash(rec);
    if (hash && this.versions) await this.versions.markRejected(id, hash, reason).catch((err) => this.deps.logger.warn({ err }, 'versions index not written'));
  }

  noteRollback(r: RolledBack): void {
    this.rolledBack.push(r);
    if (this.rolledBack.length > 100) this.rolledBack.shift();
    const level = r.automatic ? 'warn' : 'info';
    this.deps.logger[level](
      { plugin_id: r.id, from: r.from, to: r.to, cause: r.cause, canary: r.canary },
      `${r.automatic ? 'automatic ' : ''}rollback of ${r.id} from ${r.from} to ${r.to}: ${r.reason}`,
    );
    void this.emit('plugin.rolled_back', r);
  }

  history(): readonly RolledBack[] {
    return this.rolledBack;
  }

  // --- manual rollback ------------------------------------------------------------------------

  /**
   * Back to the previous version (the standby of a watch window, else the most recently active other
   * kept one that no automatic rollback rejected) or a named one.
   */
  rollback(id: string, ref?: string, trigger: ReleaseTrigger = 'api'): Promise<SwapReport> {
    return this.deps.registry.lock(id, async () => {
      const active = this.require(id);
      await this.copies.keep(active);
      if (this.canaries.running(id)) await this.canaries.abort(id, 'a rollback was asked', false);
      const w = this.watches.get(id);
      const activeHash = await this.hashOf(active);
      if (w && (!ref || ref === w.standby.version || (this.knownHash(w.standby) ?? '').startsWith(ref))) {
        this.watches.delete(id);
        w.watch.cancel();
        return this.rollBackTo(id, active, w.standby, `rollback asked (${trigger})`, 'manual', false);
      }
      const store = this.versions;
      if (!store) throw new PlugwayError('PLW_ERR_VERSION_NOT_FOUND', { id, version: ref ?? 'previous (no versions are kept without a state dir)' });
      const kept = ref ? await store.get(id, ref) : await store.previous(id, activeHash ? [activeHash] : []);
      if (!kept) throw new PlugwayError('PLW_ERR_VERSION_NOT_FOUND', { id, version: ref ?? 'previous' });
      if (kept.hash === activeHash) throw new PlugwayError('PLW_ERR_RELOAD_FAILED', { id, step: 'rollback', reason: `${kept.version} (${kept.hash.slice(0, 12)}) is already serving` });
      await this.settleWatch(id);
      const from = active.version;
      const report = await this.swapLocked(id, kept, trigger, true, `rollback asked (${trigger})`);
      this.noteRollback({ id, from, to: report.to, reason: `rollback asked (${trigger})`, cause: 'manual', automatic: false, canary: false });
      return report;
    });
  }

  private swapToKept(id: string, ref: string, trigger: ReleaseTrigger, watch: boolean): Promise<SwapReport> {
    return this.deps.registry.lock(id, async () => {
      await this.whenKept(id);
      const kept = await this.versions?.get(id, ref);
      if (!kept) throw new PlugwayError('PLW_ERR_VERSION_NOT_FOUND', { id, version: ref });
      return this.swapLocked(id, kept, trigger, true, undefined, watch);
    });
  }

  private async swapLocked(id: string, kept: KeptVersion, trigger: ReleaseTrigger, pinned: boolean, reason?: string, watch = false): Promise<SwapReport> {
    const t0 = performance.now();
    const old = this.require(id);
    this.sourceOf(old);
    const { rec } = await this.bringUp(id, this.versions!.candidateFor(id, kept.hash, kept.layout), kept.hash);
    return this.switchTo(old, rec, kept.hash, trigger, t0, { watch, pinned, reason });
  }

  // --- canary (canary-releases.ts) ------------------------------------------------------------

  canary(id: string, req: CanaryRequest): Promise<CanaryStatus> {
    return this.deps.registry.lock(id, async () => {
      await this.whenKept(id);
      return this.canaries.start(id, req);
    });
  }

  canaryStatus(id: string): CanaryStatus | undefined {
    return this.canaries.status(id);
  }

  promote(id: string, trigger: ReleaseTrigger = 'api'): Promise<SwapReport> {
    const t0 = performance.now();
    return this.deps.registry.lock(id, () => this.canaries.promote(id, trigger, t0));
  }

  abort(id: string, reason = 'abort asked'): Promise<void> {
    return this.deps.registry.lock(id, () => this.canaries.abort(id, reason, false));
  }

  // --- status and shutdown --------------------------------------------------------------------

  watching(id: string): { version: string; standby: string; calls: number; errors: number; since: string } | undefined {
    const w = this.watches.get(id);
    if (!w) return undefined;
    return { version: w.next.version, standby: w.standby.version, ...w.watch.counts(), since: new Date(w.watch.startedAt).toISOString() };
  }

  hashKnown(id: string): string | undefined {
    const rec = this.deps.registry.get(id);
    return rec ? this.knownHash(rec) : undefined;
  }

  /** Ends every watch and canary and drops their extra instances (the host is stopping). */
  async shutdown(): Promise<void> {
    await this.copies.stop();
    for (const [id, w] of [...this.watches]) {
      this.watches.delete(id);
      w.watch.cancel();
      await discard(w.standby, this.deps).catch(() => undefined);
    }
    await this.canaries.shutdown();
  }

  require(id: string): PluginRecord {
    const rec = this.deps.registry.get(id);
    if (!rec) throw new PlugwayError('PLW_ERR_PLUGIN_NOT_FOUND', { id });
    return rec;
  }

  emit(type: string, data: unknown): Promise<void> {
    return this.deps.events.emit(type, data).catch(() => undefined);
  }
}
