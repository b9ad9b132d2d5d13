// What plugway hands a plugin: its identity, config, logger, flags, events, storage and the
// services its dependencies expose.

import type { DomainEvent } from './types.js';

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
  readonly storage: HostStorage;
  readonly services: ServiceRegistry;
  /** Fires when the plugin is being stopped. */
  readonly signal: AbortSignal;
}

export function createServiceRef<T>(id: string): ServiceRef<T> {
  return { id };
}
