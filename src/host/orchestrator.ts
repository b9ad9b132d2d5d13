// Whole-host lifecycle: start in dependency order (levels in parallel), stop in reverse, cascade a
// failure to dependents, retry a failed plugin and then its failed dependents.

import type { Logger } from 'pino';
import { PlugwayError, isPlugwayError, reasonOf } from '../errors.js';
import { DependencyGraph } from './dependency-graph.js';
import type { Lifecycle } from './lifecycle.js';
import type { PluginRecord, Registry } from './registry.js';
import type { StartReport } from './types.js';

export interface OrchestratorDeps {
  registry: Registry;
  lifecycle: Lifecycle;
  logger: Logger;
  isEnabled(id: string): boolean;
  /** Re-reads a plugin whose manifest or config was bad (retry); returns the new record. */
  reread(rec: PluginRecord): Promise<PluginRecord>;
  /** plugins.allow_circular_dependencies / auto_resolve_dependencies (CovetPy's keys; defaults false / true). */
  policy?: () => { allowCycles: boolean; autoResolve: boolean };
}

export interface FullStartReport extends StartReport {
  /** Not started: disabled, or a dependency is disabled. */
  skipped: Array<{ id: string; reason: string }>;
}

const ALIVE = new Set(['loaded', 'initialized', 'running', 'stopping']);

export class Orchestrator {
  constructor(private readonly deps: OrchestratorDeps) {}

  graph(): DependencyGraph {
    const allowCycles = this.deps.policy?.().allowCycles === true;
    return new DependencyGraph(
      this.deps.registry.list().map((r) => ({ id: r.id, version: r.version, dependencies: r.dependencies })),
      { allowCycles },
    );
  }

  /** Starts every startable plugin (or those in `only`) by levels; each level's plugins in parallel. */
  async startAll(only?: ReadonlySet<string>): Promise<FullStartReport> {
    const t0 = performance.now();
    const { registry, lifecycle, logger } = this.deps;
    const graph = this.graph();
    const blocked = new Map<string, PlugwayError | undefined>();
    const skipped: FullStartReport['skipped'] = [];
    for (const rec of registry.list()) {
      if (rec.state === 'failed') blocked.set(rec.id, undefined);
      else if (!this.deps.isEnabled(rec.id)) blocked.set(rec.id, undefined);
    }
    const analysis = graph.analyze(blocked);
    for (const w of analysis.warnings) logger.warn({ code: w.code, plugin_id: w.params.id }, w.message);
    const inScope = (id: string): boolean => !only || only.has(id);
    // Dependents of a disabled plugin are skipped, not failed; decided in BFS order before any await.
    const notStarted = new Set([...blocked.keys()].filter((id) => registry.get(id)?.state !== 'failed'));
    const toFail: Array<[string, PlugwayError]> = [];
    for (const [id, err] of analysis.failed) {
      const dependency = err.params.dependency as string | undefined;
      if (err.code === 'PLW_ERR_DEPENDENCY_FAILED' && dependency && notStarted.has(dependency)) {
        notStarted.add(id);
        if (inScope(id)) skipped.push({ id, reason: `dependency ${dependency} is ${this.deps.isEnabled(dependency) ? 'not started' : 'disabled'}` });
      } else if (inScope(id)) {
        toFail.push([id, err]);
      }
    }
    await Promise.all(
      toFail.map(([id, err]) =>
        registry.lock(id, async () => {
          const rec = registry.get(id);
          if (rec && rec.state !== 'failed') await lifecycle.fail(rec, err);
        }),
      ),
    );
    // auto_resolve_dependencies: false — no ordering by dependencies: one at a time in id order, each
    // failing (PLW_ERR_DEPENDENCY_FAILED) when a required dependency is not running by its turn.
    const levels =
      this.deps.policy?.().autoResolve === false
        ? analysis.levels
            .flat()
            .sort()
            .map((id) => [id])
        : analysis.levels;
    for (const level of levels) {
      const ids = level.filter(inScope);
      await Promise.all(ids.map((id) => this.startOne(id, graph).catch(() => undefined)));
    }
    for (const rec of registry.list()) if (inScope(rec.id) && !this.deps.isEnabled(rec.id)) skipped.push({ id: rec.id, reason: 'disabled' });
    return this.report(t0, only, skipped);
  }

  /** Brings one plugin up under its lock, after checking its required dependencies are running. */
  private startOne(id: string, graph: DependencyGraph): Promise<void> {
    const { registry, lifecycle } = this.deps;
    return registry.lock(id, async () => {
      const rec = registry.get(id);
      if (!rec || rec.state === 'failed' || rec.state === 'running') return;
      const down = this.downDependency(rec, graph);
      if (down) {
        await lifecycle.fail(rec, new PlugwayError('PLW_ERR_DEPENDENCY_FAILED', { id, dependency: down }));
        return;
      }
      await lifecycle.bringUp(rec);
    });
  }

  /** The first required dependency that is not running, if any. */
  downDependency(rec: PluginRecord, graph: DependencyGraph = this.graph()): string | undefined {
    for (const dep of graph.dependenciesOf(rec.id)) {
      const spec = rec.dependencies.find((d) => d.id === dep);
      if (spec?.optional) continue;
      if (this.deps.registry.get(dep)?.state !== 'running') return dep;
    }
    return undefined;
  }

  /** Stops every live plugin (or those in `only`) in reverse start order; a level stops in parallel. */
  async stopAll(only?: ReadonlySet<string>): Promise<void> {
    const { registry, lifecycle, logger } = this.deps;
    const levels = this.graph().analyze().levels;
    const ordered = new Set(levels.flat());
    // Live plugins the graph left out (a dependency vanished) stop first: nothing can depend on them.
    const stray = registry
      .list()
      .filter((r) => !ordered.has(r.id) && ALIVE.has(r.state))
      .map((r) => r.id);
    for (const level of [stray, ...[...levels].reverse()]) {
      const ids = level.filter((id) => !only || only.has(id));
      await Promise.all(
        ids.map((id) =>
          registry
            .lock(id, async () => {
              const rec = registry.get(id);
              if (rec && ALIVE.has(rec.state)) await lifecycle.stop(rec);
            })
            .catch((err) => logger.warn({ plugin_id: id, err }, `stop failed: ${reasonOf(err)}`)),
        ),
      );
    }
  }

  /** Fails every live plugin that requires `id`, transitively, naming the dependency that failed. */
  async cascade(id: string): Promise<void> {
    const { registry, lifecycle } = this.deps;
    const graph = this.graph();
    for (const dependent of graph.dependentsOf(id)) {
      let failedNow = false;
      await registry.lock(dependent, async () => {
        const rec = registry.get(dependent);
        if (!rec || !ALIVE.has(rec.state)) return;
        await lifecycle.release(rec);
        await lifecycle.fail(rec, new PlugwayError('PLW_ERR_DEPENDENCY_FAILED', { id: dependent, dependency: id }));
        failedNow = true;
      });
      if (failedNow) await this.cascade(dependent);
    }
  }

  /** Re-runs a failed plugin; then, if `dependents`, its dependents that failed because of it. */
  async retry(id: string, dependents = true): Promise<void> {
    const { registry, lifecycle } = this.deps;
    await registry.lock(id, async () => {
      let rec = registry.get(id);
      if (!rec) throw new PlugwayError('PLW_ERR_PLUGIN_NOT_FOUND', { id });
      if (rec.state !== 'failed') throw new PlugwayError('PLW_ERR_ILLEGAL_TRANSITION', { id, from: rec.state, to: 'unloaded (retry)' });
      if (rec.broken) {
        rec = await this.deps.reread(rec);
        if (rec.state === 'failed') throw rec.error!;
      } else {
        await lifecycle.unload(rec);
      }
      const down = this.downDependency(rec);
      if (down) {
        const err = new PlugwayError('PLW_ERR_DEPENDENCY_FAILED', { id, dependency: down });
        await lifecycle.fail(rec, err);
        throw err;
      }
      await lifecycle.bringUp(rec);
    });
    if (!dependents) return;
    const graph = this.graph();
    const wanted = new Set(graph.transitiveDependentsOf(id));
    for (const level of graph.analyze().levels) {
      for (const d of level) {
        if (!wanted.has(d)) continue;
        const rec = registry.get(d);
        if (rec?.state !== 'failed' || !isPlugwayError(rec.error, 'PLW_ERR_DEPENDENCY_FAILED')) continue;
        await this.retry(d, false).catch((err) => this.deps.logger.warn({ plugin_id: d, err }, `retry of dependent failed: ${reasonOf(err)}`));
      }
    }
  }

  private report(t0: number, only: ReadonlySet<string> | undefined, skipped: FullStartReport['skipped']): FullStartReport {
    const running: string[] = [];
    const failed: FullStartReport['failed'] = [];
    for (const rec of this.deps.registry.list()) {
      if (only && !only.has(rec.id)) continue;
      if (rec.state === 'running') running.push(rec.id);
      else if (rec.state === 'failed') failed.push({ id: rec.id, code: rec.error?.code ?? 'PLW_ERR_LIFECYCLE_FAILED', message: rec.error?.message ?? 'failed' });
    }
    return { running, failed, skipped, durationMs: performance.now() - t0 };
  }
}
