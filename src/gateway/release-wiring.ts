// Gateway side of releases: versions kept in the gateway's state dir, the pinned version restored at
// start, routes recompiled on every switch, Prometheus counters for reloads and rollbacks, and hot_reload.

import { Counter, Gauge } from 'prom-client';
import { reasonOf } from '../errors.js';
import type { Releases, RolledBack } from '../host/releases/types.js';
import { ReloadWatcher } from '../host/releases/reload-watcher.js';
import type { DiskCandidate } from '../host/loader.js';
import { VersionStore } from '../state/versions.js';
import type { GatewayCore } from './core.js';
import type { Operator } from './operator.js';

export interface ReleaseWiring {
  watcher?: ReloadWatcher;
  close(): Promise<void>;
}

export async function wireReleases(releases: Releases, deps: { core: GatewayCore; operator: Operator; stateDir: string }): Promise<ReleaseWiring> {
  const { core, operator } = deps;
  const host = core.host;
  const config = core.config;
  const registers = [core.metrics.registry];
  const rollbacks = new Counter({
    name: 'plugway_plugin_rollbacks_total',
    help: 'Rollbacks per plugin: automatic (watch window or canary) or asked',
    labelNames: ['plugin', 'automatic', 'cause', 'canary'],
    registers,
  });
  const swaps = new Counter({ name: 'plugway_plugin_swaps_total', help: 'Blue-green switches of the active version per plugin and trigger', labelNames: ['plugin', 'trigger'], registers });
  const failed = new Counter({
    name: 'plugway_plugin_reload_failures_total',
    help: 'Reloads that failed (the previous version kept serving) per plugin and step',
    labelNames: ['plugin', 'step'],
    registers,
  });
  new Gauge({
    name: 'plugway_canary_percent',
    help: 'Share of calls routed to a running canary per plugin',
    labelNames: ['plugin'],
    registers,
    collect() {
      this.reset();
      for (const p of host.list()) {
        const c = releases.canaryStatus(p.id);
        if (c) this.set({ plugin: p.id }, c.percent);
      }
    },
  });
  const offs = [
    host.events.on('plugin.activated', () => core.routesChanged('plugin.activated')),
    host.events.on<RolledBack>('plugin.rolled_back', (e) => {
      const r = e.data;
      rollbacks.labels(r.id, String(r.automatic), r.cause, String(r.canary)).inc();
      if (r.automatic) {
        // The breaker opened on the version rolled back from; the restored one starts with a closed one.
        if (!r.canary) core.guard(r.id).breaker.reset();
        void operator.record('plugway', r.canary ? 'canary_abort' : 'rollback', r.id, r.reason);
      }
    }),
    host.events.on<{ id: string; trigger: string }>('plugin.swapped', (e) => swaps.labels(e.data.id, e.data.trigger).inc()),
    host.events.on<{ id: string; step: string }>('plugin.reload_failed', (e) => failed.labels(e.data.id, String(e.data.step)).inc()),
  ];

  await releases.attachVersions(new VersionStore(deps.stateDir, config.state.keepVersions));
  await core.routesChanging('desired versions', () => releases.applyDesired());

  let watcher: ReloadWatcher | undefined;
  if (config.plugins.hotReload) {
    watcher = new ReloadWatcher({
      logger: core.logger,
      // plugins.reload_interval: the quiet time after the last change before a reload.
      debounceMs: config.plugins.reloadIntervalMs,
      onReload: async (id) => {
        await operator.perform({ actor: 'watcher', action: 'reload', id, run: () => releases.reload(id, 'watch'), remember: (r) => ({ version: r.to }) });
      },
    });
    const plugins: Array<[string, DiskCandidate]> = [];
    for (const p of host.list()) {
      const origin = releases.originOf(p.id);
      if (origin) plugins.push([p.id, origin]);
    }
    await watcher.start(plugins);
    // Plugins that arrive later (POST /admin/plugins/discover, a host.loadFrom in code) are watched
    // too; a plugin unregistered for good stops being watched. Versions of a plugin already watched
    // (a swap registers the new one beside the old) change nothing.
    const w = watcher;
    offs.push(
      host.events.on<{ id: string }>('plugin.registered', (e) => {
        const id = e.data.id;
        if (!host.get(id) || w.has(id)) return;
        const origin = releases.originOf(id);
        if (origin) void w.add(id, origin).catch((err) => core.logger.warn({ plugin_id: id, err: { message: reasonOf(err) } }, 'could not watch the plugin for hot_reload'));
      }),
      host.events.on<{ id: string }>('plugin.unregistered', (e) => {
        if (!host.get(e.data.id)) w.remove(e.data.id);
      }),
    );
  }
  return {
    watcher,
    async close() {
      for (const off of offs) off();
      await watcher?.close();
    },
  };
}
