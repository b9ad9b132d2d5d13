// The host's public shape: what an embedding application and the gateway use.
// The host is a library first (createHost()); the gateway is one application of it.

import type { Logger } from 'pino';
import type { PlugwayError } from '../errors.js';
import type { ManifestSource, PluginManifest } from '../manifest/types.js';
import type { CallOptions, PluginRuntime, RuntimeStats } from '../runtimes/types.js';
import type { DomainEvent, HealthState, HealthStatus, PluginInfo, PluginMetrics, PluginState } from '../sdk/types.js';
import type { EventHandler, HostStorage, ProviderSwitchEvent } from '../sdk/context.js';
import type { ProviderRequest } from '../sdk/plugin.js';
import type { HostConfig } from './config-types.js';
import type { Releases } from './releases/types.js';
import type { CallSlot } from './traffic.js';

/** One loaded version of a plugin. Instances are keyed by id and version. */
export interface PluginInstance {
  readonly id: string;
  readonly version: string;
  /** `${id}@${version}` */
  readonly key: string;
  readonly manifest: PluginManifest;
  readonly source: ManifestSource;
  readonly entryPath?: string;
  readonly state: PluginState;
  readonly health: HealthState;
  readonly healthDetail?: HealthStatus;
  /** Why it failed (kept until a retry succeeds). */
  readonly error?: PlugwayError;
  readonly config: Record<string, unknown>;
  readonly runtime?: PluginRuntime;
  readonly loadedAt?: Date;
  readonly lastUsedAt?: Date;
  readonly builtin: boolean;
}

export interface StateChange {
  id: string;
  version: string;
  from: PluginState;
  to: PluginState;
  error?: { code: string; message: string };
}

/** Events the host emits on its bus (type → data). Every lifecycle transition is one. */
export interface HostEventMap {
  'plugin.state_changed': StateChange;
  'plugin.health_changed': { id: string; version: string; from: HealthState; to: HealthState; detail?: HealthStatus };
  'plugin.registered': { id: string; version: string };
  'plugin.unregistered': { id: string; version: string };
  'plugin.async_error': { id: string; version: string; error: { code: string; message: string } };
}

export interface HostEventBus {
  emit<T>(type: string, data: T, source?: string): Promise<void>;
  on<T = unknown>(type: string, handler: EventHandler<T>, owner?: string): () => void;
  stats(): { emitted: number; delivered: number; subscriberErrors: number };
}

/** The gateway's hooks, host.selectProvider's switch, the seed's LLM hooks (fired by plugins), lifecycle. */
export type HookName = 'onRequest' | 'onResponse' | 'onError' | 'onProviderSwitch' | 'on_request' | 'on_response' | 'on_error' | 'on_provider_switch' | `lifecycle.${string}`;

export interface HookStats {
  /** Times the hook was fired (with or without handlers registered). */
  fired: number;
  /** Handler runs (a firing runs every handler registered). */
  count: number;
  errors: number;
  timeouts: number;
  meanMs: number;
  p99Ms: number;
}

export interface HookManager {
  /** Adds a hook; returns a function that removes it. timeoutMs defaults to 5000. */
  add<T>(name: HookName, fn: (payload: T) => unknown, options?: { timeoutMs?: number; owner?: string }): () => void;
  /** Runs every hook of `name`; a failing or slow hook is isolated, counted and logged, never thrown. */
  run<T>(name: HookName, payload: T): Promise<void>;
  has(name: HookName): boolean;
  stats(): Record<string, HookStats>;
  /** Called after a hook list changes (the gateway recompiles its routes: hook steps are in them only while hooks exist). */
  onChange(fn: () => void): () => void;
}

/** What host.selectProvider() chose. */
export interface ProviderSelection {
  provider: string;
  reason: ProviderSwitchEvent['reason'];
  /** The router plugin that chose (reason `router`). */
  router?: string;
  /** The key's previous pick, when this one differs (onProviderSwitch ran). */
  switchedFrom?: string;
}

export interface SelectProviderOptions {
  /** What switches are tracked by (a route, a tenant…); the request's model by default. */
  key?: string;
  signal?: AbortSignal;
}

export interface StartReport {
  running: string[];
  failed: Array<{ id: string; code: string; message: string }>;
  durationMs: number;
}

export interface Host {
  readonly config: HostConfig;
  readonly logger: Logger;
  readonly events: HostEventBus;
  readonly hooks: HookManager;
  readonly storage: HostStorage;
  /** Reloads, rollbacks, canaries and kept versions (host/releases/). */
  readonly releases: Releases;
  /** Prometheus metrics plugins defined through ctx.metrics (the gateway appends them to /metrics). */
  readonly pluginMetrics?: { readonly registry: { metrics(): Promise<string> } };
  /** plugway's own version (for manifests' engine ranges). */
  readonly version: string;

  /** A built-in plugin: factory or object plus its manifest (partial; id is required). */
  registerBuiltin(id: string, pluginOrFactory: unknown, manifest?: Partial<PluginManifest>): PluginInstance;
  /** A plugin instance given in code with its manifest. */
  register(manifest: PluginManifest, pluginOrFactory: unknown, source?: ManifestSource): PluginInstance;
  /** Registers every plugin found in `dir` (<dir>/<plugin>/plugin.yaml and <name>.yaml beside a file). */
  loadDirectory(dir: string): Promise<{ registered: PluginInstance[]; errors: PlugwayError[] }>;
  /** Loads the configured directories (when auto_load), then starts everything in dependency order. */
  start(): Promise<StartReport>;
  /** Stops everything in reverse dependency order within shutdownTimeoutMs. */
  stop(): Promise<void>;

  startPlugin(id: string): Promise<void>;
  stopPlugin(id: string): Promise<void>;
  /** Moves a failed plugin back through the lifecycle. */
  retry(id: string): Promise<void>;
  /** Stops the plugin and marks it disabled (the gateway answers its routes with 503 PLW_ERR_PLUGIN_DISABLED). */
  disable(id: string): Promise<void>;
  /** Marks it enabled and starts it. */
  enable(id: string): Promise<void>;
  isEnabled(id: string): boolean;
  /**
   * Re-reads the plugin's manifest and entry from disk and replaces the running version
   * (the simple form stops the old one first; the hot-swap issue makes it blue-green).
   */
  reload(id: string): Promise<PluginInstance>;

  /** The active instance of `id` (the one that serves traffic). */
  get(id: string): PluginInstance | undefined;
  /** A specific version. */
  getVersion(id: string, version: string): PluginInstance | undefined;
  list(filter?: { kind?: string; state?: PluginState }): PluginInstance[];
  info(id: string): PluginInfo | undefined;
  /** Ids that depend on `id` (directly). */
  dependentsOf(id: string): string[];

  /** Calls a plugin method through its runtime; the plugin must be running. */
  call<T = unknown>(id: string, method: string, payload?: readonly unknown[], options?: CallOptions): Promise<T>;
  /**
   * call() for hot paths: the plugin's answer itself when it answered synchronously (in-process),
   * a promise otherwise; refusals (not found, disabled, not running) and throws are thrown.
   */
  invoke<T = unknown>(id: string, method: string, payload?: readonly unknown[], options?: CallOptions): T | Promise<T>;
  /**
   * invoke() for a caller that continues on the answer itself (the gateway's steps): no continuation
   * of the host's on the runtime's promise. The call is counted from now; the caller must end it
   * with end(slot, failed) exactly once, a throw from here included. With `options.callerDeadline`
   * an in-process plugin's promise comes back as it is and the caller enforces the deadline.
   */
  begin<T = unknown>(id: string, method: string, payload: readonly unknown[] | undefined, options: CallOptions | undefined, slot: CallSlot, now?: number): T | Promise<T>;
  /** Ends the call begun in `slot` (a no-op when none is). `now` (both): a performance.now() the caller just read. The version that serves the call is `slot.callRec.version`. */
  end(slot: CallSlot, failed: boolean, now?: number): void;
  /**
   * Keeps one version counted as busy while a long-lived connection (WebSocket) uses it: a hot
   * swap's drain waits for the release (or its drain timeout). Undefined when there is no such version.
   */
  holdVersion?(id: string, version: string): (() => void) | undefined;
  metrics(id: string): Promise<PluginMetrics>;
  runtimeStats(id: string): RuntimeStats | undefined;
  /** Runs a health check now. */
  checkHealth(id: string): Promise<HealthStatus>;

  /**
   * Picks a running provider plugin for an LLM-style request: the router plugins are asked in
   * priority order (canRoute, then selectProvider over the candidates), else the request's
   * preferredProvider, else the first provider serving the model that is not unhealthy; undefined
   * when none fits. Runs onProviderSwitch when the pick for `key` differs from its previous one.
   */
  selectProvider(request: ProviderRequest, options?: SelectProviderOptions): Promise<ProviderSelection | undefined>;

  /** Emits a DomainEvent to subscribers and to plugins' handleEvent. */
  publish(event: Omit<DomainEvent, 'time'> & { time?: string }, options?: PublishOptions): Promise<void>;
  /** Sees every event published on this node (not those from other nodes): the cluster's event transport. */
  onPublish(relay: (event: DomainEvent) => void): () => void;
  /** Calls one plugin's handleEvent; rejects when it is not running or its handler fails (durable delivery acks on success only). */
  deliverEvent(id: string, event: DomainEvent): Promise<void>;
}

export interface PublishOptions {
  /** The event came from another node: delivered here, not relayed again. */
  remote?: boolean;
  /** Plugins not to deliver to (those that get the type through a durable subscription). */
  exclude?: (pluginId: string) => boolean;
}
