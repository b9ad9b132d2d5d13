// What plugway hands a plugin: its identity, config, logger, flags, events, hooks, storage and
// the services its dependencies expose.

import type { LlmHookName, LlmHookPayloads } from './llm.js';
import type { DomainEvent, HealthState, PluginRequest, PluginState, RuntimeType } from './types.js';

/** The subset of a pino logger a plugin gets; its lines carry plugin_id and version. */
export interface PluginLogger {
  trace(obj: unknown, msg?: string): void;
  trace(msg: string): void;
  debug(obj: unknown, msg?: string): void;
  debug(msg: string): void;
  info(obj: unknown, msg?: string): void;
  info(msg: string): void;
  warn(obj: unknown, msg?: string): void;
  warn(msg: string): void;
  error(obj: unknown, msg?: string): void;
  error(msg: string): void;
  child(bindings: Record<string, unknown>): PluginLogger;
}

export interface FeatureFlags {
  isEnabled(name: string): boolean;
  /** Every flag the manifest declares, with its current value. */
  all(): Record<string, boolean>;
}

export type EventHandler<T = unknown> = (event: DomainEvent<T>) => void | Promise<void>;

export interface EventBus {
  /** Publish an event; source and time are filled in by the host. */
  emit<T = unknown>(type: string, data: T): Promise<void>;
  /** Subscribe; `type` may end in `*` ("plugin.*"). Returns an unsubscribe function. */
  on<T = unknown>(type: string, handler: EventHandler<T>): () => void;
}

/** What the gateway hands onRequest hooks: the routed plugin and the request (after auth and rate limit). */
export interface RequestHookPayload {
  pluginId: string;
  request: PluginRequest;
}

export interface ResponseHookPayload extends RequestHookPayload {
  response: { statusCode: number; headers?: Record<string, string | string[]> };
}

export interface ErrorHookPayload extends RequestHookPayload {
  status: number;
  error: { code: string; message: string };
}

/** host.selectProvider() picked another provider for a key (a model, or the caller's route key) than last time. */
export interface ProviderSwitchEvent {
  /** What the pick is remembered by: the caller's key, else the request's model. */
  key: string;
  model: string;
  /** The previous pick for this key. */
  from: string;
  to: string;
  /** `router`: a router plugin chose; `preferred`: the request's preferredProvider; `fallback`: the host's own choice. */
  reason: 'router' | 'preferred' | 'fallback';
  /** The router plugin that chose, for reason `router`. */
  router?: string;
}

/** A lifecycle transition of any plugin. */
export interface LifecycleHookPayload {
  id: string;
  version: string;
  from: PluginState;
  to: PluginState;
  error?: { code: string; message: string };
}

/** The hooks a plugin may register, with what each receives. */
export interface HookPayloads {
  onRequest: RequestHookPayload;
  onResponse: ResponseHookPayload;
  onError: ErrorHookPayload;
  onProviderSwitch: ProviderSwitchEvent;
}

export type PluginHookName = keyof HookPayloads | LlmHookName | `lifecycle.${PluginState}`;
export type HookPayload<N extends PluginHookName> = N extends keyof HookPayloads ? HookPayloads[N] : N extends LlmHookName ? LlmHookPayloads[N] : LifecycleHookPayload;

export interface PluginHooks {
  /**
   * Registers a hook (the GoLeapAI seed's OnRequest/OnResponse/OnError/OnProviderSwitch). It runs
   * with a timeout (the host's, 5 s by default, or timeoutMs); a throw or a timeout is logged and
   * counted, never passed on. Returns a function that removes it; the host removes it anyway when
   * the plugin stops or fails — register in init() or start(), and again after a restart in start().
   */
  on<N extends PluginHookName>(name: N, handler: (payload: HookPayload<N>) => void | Promise<void>, options?: { timeoutMs?: number }): () => void;
  /**
   * Fires one of the seed's LLM hooks (on_request, on_response, on_error, on_provider_switch) to
   * every plugin that registered it; counted in GET /admin/hooks/stats. Resolves when they ran
   * (each isolated and timed out as above). The gateway's own hooks cannot be fired this way.
   */
  emit<N extends LlmHookName>(name: N, payload: LlmHookPayloads[N]): Promise<void>;
}

/** A running plugin another plugin may call (ctx.plugins). */
export interface PluginRef {
  id: string;
  kind: 'provider' | 'router';
  runtime: RuntimeType;
  /** plugins.configs.<id>.priority (0 when absent); list() sorts highest first. */
  priority: number;
  health: HealthState;
  /** Whether it implements `method` (optional methods such as stream, embed, canRoute). */
  implements(method: string): boolean;
}

/**
 * Calls into the provider and router plugins, for a plugin that dispatches to them (the
 * llm-gateway). Every call goes through the runtime like the gateway's own: deadline, counts,
 * isolation. Only plugins of those two kinds can be reached.
 */
export interface PluginCalls {
  /** Running, enabled plugins of a kind, highest priority first. */
  list(kind: 'provider' | 'router'): PluginRef[];
  get(id: string): PluginRef | undefined;
  /** `args` are the method's arguments before ctx. In-process plugins' answers come back as they are (an async iterable too). */
  call<T = unknown>(id: string, method: string, args?: readonly unknown[], options?: { signal?: AbortSignal; timeoutMs?: number }): Promise<T>;
}

export type MetricLabels = Record<string, string | number>;

/**
 * Prometheus metrics a plugin adds to the gateway's GET /metrics. A name already defined (by
 * another version of the plugin, after a reload) with the same type and labels is shared.
 */
export interface PluginMetricsRegistry {
  counter(opts: { name: string; help: string; labelNames?: readonly string[] }): { inc(labels?: MetricLabels, value?: number): void };
  histogram(opts: { name: string; help: string; labelNames?: readonly string[]; buckets?: readonly number[] }): { observe(labels: MetricLabels | undefined, value: number): void };
  gauge(opts: { name: string; help: string; labelNames?: readonly string[] }): { set(labels: MetricLabels | undefined, value: number): void };
}

/** The host's key-value storage, namespaced per plugin. */
export interface HostStorage {
  get<T = unknown>(key: string): Promise<T | undefined>;
  /** ttlMs: the key expires after that many milliseconds. */
  set<T = unknown>(key: string, value: T, ttlMs?: number): Promise<void>;
  delete(key: string): Promise<boolean>;
  exists(key: string): Promise<boolean>;
}

/** A typed handle to a service a plugin exposes (Backstage's service refs, Hapi's server.plugins). */
export interface ServiceRef<T> {
  readonly id: string;
  /** Phantom field carrying the service's type; never read. */
  readonly __type?: T;
}

export interface ServiceRegistry {
  /** The public API a (declared) dependency exposes through `plugin.exports`. */
  get<T = unknown>(ref: string | ServiceRef<T>): T;
  /** Like get, but undefined when the service is absent (optional dependencies). */
  tryGet<T = unknown>(ref: string | ServiceRef<T>): T | undefined;
}

export interface PluginContext<Config = Record<string, unknown>> {
  readonly pluginId: string;
  readonly version: string;
  /** The plugin's config, validated against its config_schema, defaults applied. */
  readonly config: Config;
  readonly logger: PluginLogger;
  readonly flags: FeatureFlags;
  readonly events: EventBus;
  /**
   * Hooks into the gateway's requests, the host's provider switches and lifecycle. In-process
   * plugins only: absent in the worker and wasm runtimes (a hook's payload is the live request,
   * which cannot cross a thread), hence optional — `ctx.hooks?.on(…)` or check it in init.
   */
  readonly hooks?: PluginHooks;
  /** Calls into provider and router plugins. In-process plugins only, like hooks. */
  readonly plugins?: PluginCalls;
  /** Prometheus metrics on the gateway's /metrics. In-process plugins only. */
  readonly metrics?: PluginMetricsRegistry;
  readonly storage: HostStorage;
  readonly services: ServiceRegistry;
  /** Fires when the plugin is being stopped. */
  readonly signal: AbortSignal;
}

export function createServiceRef<T>(id: string): ServiceRef<T> {
  return { id };
}
