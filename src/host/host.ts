// createHost(): the plugin host as a library — registry, loader, lifecycle, dependencies, events,
// hooks, health and storage behind the Host interface the gateway and embedding applications use.

import { dirname } from 'node:path';
import pino, { type Logger } from 'pino';
import { PlugwayError, reasonOf } from '../errors.js';
import type { ManifestSource, PluginManifest } from '../manifest/types.js';
import { createRuntime } from '../runtimes/index.js';
import type { CallOptions, PluginRuntime, RuntimeStats } from '../runtimes/types.js';
import type { DomainEvent, HealthStatus, PluginInfo, PluginMetrics, PluginState } from '../sdk/types.js';
import { PLUGWAY_VERSION } from '../version.js';
import type { HostConfig } from './config-types.js';
import { buildContext, type ContextDeps } from './context.js';
import { routeManifest } from './config-routes.js';
import { EventBusImpl } from './events.js';
import { defaultHostConfig } from './config.js';
import { HealthMonitor, type HealthOptions } from './health.js';
import { HookManagerImpl } from './hooks.js';
import { ProviderSelector } from './hooks-provider-switch.js';
import { Lifecycle, whenRunning } from './lifecycle.js';
import { Loader, candidateOf, mapLimit, readCandidate } from './loader.js';
import { Orchestrator, type FullStartReport } from './orchestrator.js';
import { KeyedMutex } from './mutex.js';
import { PluginRecord, Registry } from './registry.js';
import { ReleaseManager } from './releases/release-manager.js';
import { Traffic, type CallSlot } from './traffic.js';
import { infoOf, metricsOf, statsOf } from './plugin-info.js';
import { EventDelivery } from './event-delivery.js';
import { MemoryStorage } from './storage.js';
import { PluginMetricStore } from './plugin-metrics.js';
import { createPluginStorage } from './plugin-storage.js';
import type { Host, PluginInstance, ProviderSelection, PublishOptions, SelectProviderOptions } from './types.js';
import type { ProviderRequest } from '../sdk/plugin.js';

export interface CreateHostOptions {
  config?: HostConfig;
  logger?: Logger;
  /** Folders searched in addition to config.plugins.directories. */
  pluginDirs?: string[];
  health?: HealthOptions;
  /** Default hook timeout, ms (5000). */
  hookTimeoutMs?: number;
}

/** Plugins imported at once while loading a directory. */
const LOAD_CONCURRENCY = 128;

export class PluginHost implements Host {
  readonly config: HostConfig;
  readonly logger: Logger;
  readonly events: EventBusImpl;
  readonly hooks: HookManagerImpl;
  readonly storage: MemoryStorage;
  readonly pluginMetrics = new PluginMetricStore();
  readonly version = PLUGWAY_VERSION;
  readonly registry = new Registry();
  private readonly health: HealthMonitor;
  private readonly lifecycle: Lifecycle;
  private readonly loader: Loader;
  private readonly orchestrator: Orchestrator;
  private readonly enabled = new Map<string, boolean>();
  private readonly dirsLoaded = new Set<string>();
  private readonly ops = new KeyedMutex();
  private readonly pluginDirs: string[];
  private readonly contextDeps: ContextDeps;
  /** Which instance each call goes to, and in-flight calls per instance (hot swap, canary). */
  readonly traffic = new Traffic();
  /** Blue-green reloads, rollbacks, canaries, kept versions. */
  readonly releases: ReleaseManager;
  private readonly providers: ProviderSelector;
  private readonly delivery: EventDelivery;

  constructor(options: CreateHostOptions = {}) {
    this.config = options.config ?? defaultHostConfig();
    this.logger = options.logger ?? pino({ level: this.config.logging.level, redact: this.config.logging.redact });
    this.pluginDirs = options.pluginDirs ?? [];
    this.events = new EventBusImpl(this.logger);
    this.delivery = new EventDelivery(this.registry, this.events, this.logger);
    this.hooks = new HookManagerImpl(this.logger, options.hookTimeoutMs);
    this.storage = new MemoryStorage();
    const defaultTimeoutMs = this.config.plugins.defaultTimeoutMs;
    this.health = new HealthMonitor(this.registry, this.events, this.logger, defaultTimeoutMs, options.health);
    this.contextDeps = {
      registry: this.registry,
      events: this.events,
      hooks: this.hooks,
      storage: createPluginStorage({
        memory: this.storage,
        plugin: this.config.storage.plugin,
        call: (id, method, args) => this.call(id, method, args),
        whenRunning: (id, ms) => whenRunning(this.registry, this.events, id, ms),
      }),
      logger: this.logger,
      publish: (e) => this.publish(e),
      isEnabled: (id) => this.isEnabled(id),
      flagOverrides: (id) => this.config.plugins.configs[id]?.flags,
      call: (id, method, args, options) => this.call(id, method, args, options),
      priority: (id) => this.config.plugins.configs[id]?.priority ?? 0,
      pluginMetrics: this.pluginMetrics,
    };
    this.lifecycle = new Lifecycle({
      registry: this.registry,
      events: this.events,
      hooks: this.hooks,
      health: this.health,
      logger: this.logger,
      defaultTimeoutMs,
      createRuntime: (rec) => this.createRuntime(rec),
    });
    this.loader = new Loader({
      registry: this.registry,
      config: this.config,
      hostVersion: this.version,
      onAdmitted: (rec, error) => this.admitted(rec, error),
    });
    this.orchestrator = new Orchestrator({
      registry: this.registry,
      lifecycle: this.lifecycle,
      logger: this.logger,
      isEnabled: (id) => this.isEnabled(id),
      reread: (rec) => this.reread(rec),
      policy: () => ({ allowCycles: this.config.plugins.allowCircularDependencies === true, autoResolve: this.config.plugins.autoResolveDependencies !== false }),
    });
    this.providers = new ProviderSelector({
      running: (kind) => this.registry.list({ kind, state: 'running' }).filter((r) => this.isEnabled(r.id)),
      call: (id, method, args, signal) => this.call(id, method, args, signal ? { signal } : undefined),
      stats: (id) => this.runtimeStats(id),
      priority: (id) => this.config.plugins.configs[id]?.priority ?? 0,
      hooks: this.hooks,
      logger: this.logger,
    });
    this.releases = new ReleaseManager({
      registry: this.registry,
      lifecycle: this.lifecycle,
      loader: this.loader,
      health: this.health,
      events: this.events,
      traffic: this.traffic,
      logger: this.logger,
      config: this.config,
    });
  }

  // --- registration -------------------------------------------------------------------------

  registerBuiltin(id: string, pluginOrFactory: unknown, manifest?: Partial<PluginManifest>): PluginInstance {
    return this.loader.registerBuiltin(id, pluginOrFactory, manifest);
  }

  register(manifest: PluginManifest, pluginOrFactory: unknown, source?: ManifestSource): PluginInstance {
    return this.loader.register(manifest, pluginOrFactory, source);
  }

  async loadDirectory(dir: string): Promise<{ registered: PluginInstance[]; errors: PlugwayError[] }> {
    const { registered, errors } = await this.loader.readDirectory(dir);
    const loadable = registered.filter((r) => r.state === 'unloaded');
    await mapLimit(loadable, LOAD_CONCURRENCY, (rec) =>
      this.registry
        .lock(rec.id, () => (rec.state === 'unloaded' ? this.lifecycle.load(rec) : undefined))
        .catch((err: PlugwayError) => {
          errors.push(err);
        }),
    );
    return { registered, errors };
  }

  private admitted(rec: PluginRecord, error?: PlugwayError): void {
    if (!this.enabled.has(rec.id)) this.enabled.set(rec.id, this.config.plugins.configs[rec.id]?.enabled ?? true);
    void this.events.emit('plugin.registered', { id: rec.id, version: rec.version });
    if (error) void this.lifecycle.fail(rec, error).catch((err) => this.logger.error({ err }, 'failing a bad plugin failed'));
  }

  private async createRuntime(rec: PluginRecord): Promise<PluginRuntime> {
    rec.context ??= buildContext(rec, this.contextDeps);
    return createRuntime(rec.manifest.runtime.type, {
      manifest: rec.manifest,
      entryPath: rec.entryPath,
      pluginDir: rec.source.dir,
      asyncContext: this.config.runtimes.asyncContext,
      instance: rec.instance,
      config: rec.config,
      context: rec.context,
      logger: this.logger.child({ plugin_id: rec.id, version: rec.version }),
      defaultTimeoutMs: this.lifecycle.timeoutOf(rec),
      maxResponseBytes: this.config.gateway.maxResponseBytes,
      pollUs: this.config.runtimes.pollWindowUs,
      sandbox: this.config.sandbox,
      fetchPolicy: this.config.runtimes.fetch,
      onAsyncError: (err) => void this.asyncError(rec, err),
      // runtimes name their events in full (runtime.worker_crashed, …)
      // The id and version are the host's: what a runtime reports cannot name another plugin.
      onEvent: (event) => void this.events.emit(event.type, { ...event.data, id: rec.id, version: rec.version }),
    });
  }

  /**
   * An error escaped the plugin's calls: fail that instance, never the process. Dependents fail with it
   * only when it is the active version; a canary or a standby fails alone (its release watch rolls it back).
   */
  private async asyncError(rec: PluginRecord, err: Error): Promise<void> {
    const coded = new PlugwayError('PLW_ERR_ASYNC_ERROR', { id: rec.id, reason: reasonOf(err) }, { cause: err });
    await this.events.emit('plugin.async_error', { id: rec.id, version: rec.version, error: { code: coded.code, message: coded.message } });
    let cascade = false;
    await this.registry.lock(rec.id, async () => {
      if (this.registry.getVersion(rec.id, rec.version) !== rec || rec.state === 'failed' || rec.state === 'unloaded') {
        this.logger.warn({ plugin_id: rec.id, err }, `async error from a plugin that is ${rec.state}: ${err.message}`);
        return;
      }
      await this.lifecycle.release(rec);
      await this.lifecycle.fail(rec, coded);
      cascade = this.registry.get(rec.id) === rec;
    });
    if (cascade) await this.orchestrator.cascade(rec.id);
  }

  /** Reads a plugin's manifest again from disk and replaces its (failed) record. */
  private async reread(rec: PluginRecord): Promise<PluginRecord> {
    const candidate = candidateOf(rec);
    if (!candidate) return rec;
    const read = await readCandidate(candidate, { files: true });
    await this.lifecycle.dispose(rec);
    this.registry.remove(rec);
    try {
      return this.loader.admitRead(read);
    } catch (err) {
      this.registry.add(rec);
      throw err;
    }
  }

  // --- lifecycle ----------------------------------------------------------------------------

  async start(): Promise<FullStartReport> {
    if (this.config.plugins.autoLoad) {
      for (const dir of [...this.config.plugins.directories, ...this.pluginDirs]) {
        if (this.dirsLoaded.has(dir)) continue;
        this.dirsLoaded.add(dir);
        this.logger.debug({ dir }, `looking for plugins in ${dir}`);
        const { errors } = await this.loadDirectory(dir);
        for (const e of errors) this.logger.warn({ code: e.code, dir }, e.message);
      }
    }
    this.registerConfigRoutes();
    const report = await this.orchestrator.startAll();
    this.logger.info({ running: report.running.length, failed: report.failed.length, duration_ms: Math.round(report.durationMs) }, 'host started');
    return report;
  }

  /** plugway.yaml `routes:` are remote plugins named after them (registered once). */
  private registerConfigRoutes(): void {
    const dir = this.config.file ? dirname(this.config.file) : process.cwd();
    for (const route of this.config.routes ?? []) {
      if (this.registry.get(route.name)) continue;
      // no manifest file: plugway.yaml is not a plugin's to reload (TLS paths resolve against its folder)
      this.loader.register(routeManifest(route), undefined, { dir });
    }
  }

  async stop(): Promise<void> {
    await this.releases.shutdown();
    const timeoutMs = this.config.plugins.shutdownTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const pending = this.registry
          .all()
          .filter((r) => r.state === 'running' || r.state === 'stopping')
          .map((r) => r.id);
        reject(new PlugwayError('PLW_ERR_SHUTDOWN_TIMEOUT', { timeoutMs, pending: pending.join(', ') || '(none)' }));
      }, timeoutMs);
      timer.unref();
    });
    try {
      await Promise.race([this.orchestrator.stopAll(), deadline]);
    } finally {
      clearTimeout(timer);
      this.health.unscheduleAll();
    }
    for (const rec of this.registry.all()) {
      if (rec.state === 'stopped' || rec.state === 'failed') await this.lifecycle.dispose(rec);
    }
  }

  /** Host-level operations on one id run in call order (each then takes the per-plugin locks it needs). */
  startPlugin(id: string): Promise<void> {
    this.require(id);
    return this.ops.run(id, async () => {
      await this.orchestrator.startAll(new Set([id, ...this.dependencyClosure(id)]));
      const rec = this.registry.get(id);
      if (rec?.state === 'failed' && rec.error) throw rec.error;
      if (rec?.state !== 'running' && this.isEnabled(id)) throw new PlugwayError('PLW_ERR_PLUGIN_NOT_RUNNING', { id, state: rec?.state ?? 'unknown' });
    });
  }

  stopPlugin(id: string): Promise<void> {
    this.require(id);
    return this.ops.run(id, () => this.orchestrator.stopAll(new Set([id, ...this.orchestrator.graph().transitiveDependentsOf(id)])));
  }

  retry(id: string): Promise<void> {
    return this.orchestrator.retry(id);
  }

  async disable(id: string): Promise<void> {
    this.require(id);
    this.enabled.set(id, false);
    await this.stopPlugin(id);
  }

  async enable(id: string): Promise<void> {
    const rec = this.require(id);
    this.enabled.set(id, true);
    if (rec.state === 'failed') return;
    const graph = this.orchestrator.graph();
    await this.orchestrator.startAll(new Set([id, ...this.dependencyClosure(id), ...graph.transitiveDependentsOf(id)]));
  }

  /** Resolves once `id` is running; rejects when it fails, or after `ms`. */
  isEnabled(id: string): boolean {
    return this.enabled.get(id) ?? this.config.plugins.configs[id]?.enabled ?? true;
  }

  async reload(id: string): Promise<PluginInstance> {
    return (await this.releases.reload(id)).instance;
  }

  /** The ids `id` requires, transitively. */
  private dependencyClosure(id: string): string[] {
    // auto_resolve_dependencies: false — a plugin's dependencies are not started on its behalf.
    if (this.config.plugins.autoResolveDependencies === false) return [];
    const graph = this.orchestrator.graph();
    const seen = new Set<string>();
    const walk = (x: string): void => {
      for (const d of graph.dependenciesOf(x)) if (!seen.has(d)) seen.add(d), walk(d);
    };
    walk(id);
    return [...seen];
  }

  // --- lookup -------------------------------------------------------------------------------

  get(id: string): PluginInstance | undefined {
    return this.registry.get(id);
  }

  getVersion(id: string, version: string): PluginInstance | undefined {
    return this.registry.getVersion(id, version);
  }

  list(filter?: { kind?: string; state?: PluginState }): PluginInstance[] {
    return this.registry.list(filter);
  }

  info(id: string): PluginInfo | undefined {
    const rec = this.registry.get(id);
    return rec ? infoOf(rec, this.isEnabled(id)) : undefined;
  }

  dependentsOf(id: string): string[] {
    return this.orchestrator.graph().dependentsOf(id);
  }

  // --- calls --------------------------------------------------------------------------------

  call<T = unknown>(id: string, method: string, payload?: readonly unknown[], options?: CallOptions): Promise<T> {
    let r: T | Promise<T>;
    try {
      r = this.invoke<T>(id, method, payload, options);
    } catch (err) {
      return Promise.reject(err);
    }
    return r instanceof Promise ? r : Promise.resolve(r);
  }

  invoke<T = unknown>(id: string, method: string, payload?: readonly unknown[], options?: CallOptions): T | Promise<T> {
    const target = this.traffic.choose(this.callable(id), payload);
    if (options) options.servedBy = target.version;
    return this.traffic.invoke<T>(target, method, payload, options);
  }

  begin<T = unknown>(id: string, method: string, payload: readonly unknown[] | undefined, options: CallOptions | undefined, slot: CallSlot, now?: number): T | Promise<T> {
    return this.traffic.begin<T>(this.traffic.choose(this.callable(id), payload), method, payload, options, slot, now);
  }

  end(slot: CallSlot, failed: boolean, now?: number): void {
    this.traffic.end(slot, failed, now);
  }

  /** The active record of `id` when it may be called; the refusal otherwise. */
  private callable(id: string): PluginRecord {
    const rec = this.registry.get(id);
    if (!rec) throw new PlugwayError('PLW_ERR_PLUGIN_NOT_FOUND', { id });
    if (this.enabled.get(id) === false) throw new PlugwayError('PLW_ERR_PLUGIN_DISABLED', { id });
    if (rec.state !== 'running') throw new PlugwayError('PLW_ERR_PLUGIN_NOT_RUNNING', { id, state: rec.state });
    return rec;
  }

  holdVersion(id: string, version: string): (() => void) | undefined {
    const rec = this.registry.getVersion(id, version);
    return rec ? this.traffic.hold(rec) : undefined;
  }

  metrics(id: string): Promise<PluginMetrics> {
    const rec = this.require(id);
    return metricsOf(rec, rec.runtime ? statsOf(rec, this.traffic) : undefined);
  }

  /** The host's count of calls to the active version (traffic.ts) with what only its runtime knows (timeouts, restarts). */
  runtimeStats(id: string): RuntimeStats | undefined {
    const rec = this.registry.get(id);
    if (!rec?.runtime) return undefined;
    return statsOf(rec, this.traffic);
  }

  checkHealth(id: string): Promise<HealthStatus> {
    return this.health.check(this.require(id));
  }

  selectProvider(request: ProviderRequest, options?: SelectProviderOptions): Promise<ProviderSelection | undefined> {
    return this.providers.select(request, options);
  }

  publish(event: Omit<DomainEvent, 'time'> & { time?: string }, options: PublishOptions = {}): Promise<void> {
    return this.delivery.publish(event, options);
  }

  onPublish(relay: (event: DomainEvent) => void): () => void {
    return this.delivery.onPublish(relay);
  }

  deliverEvent(id: string, event: DomainEvent): Promise<void> {
    return this.delivery.deliver(id, event);
  }

  private require(id: string): PluginRecord {
    const rec = this.registry.get(id);
    if (!rec) throw new PlugwayError('PLW_ERR_PLUGIN_NOT_FOUND', { id });
    return rec;
  }
}

export { infoOf, statsOf } from './plugin-info.js';

export function createHost(options: CreateHostOptions = {}): PluginHost {
  return new PluginHost(options);
}
