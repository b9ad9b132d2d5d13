// Builds the PluginContext a plugin receives: identity, validated config, a child logger,
// feature flags, the event bus scoped to the plugin, namespaced storage, services, stop signal.

import type { Logger } from 'pino';
import { PlugwayError } from '../errors.js';
import type { EventHandler, FeatureFlags, PluginContext, PluginLogger, ServiceRef, ServiceRegistry } from '../sdk/context.js';
import type { DomainEvent } from '../sdk/types.js';
import type { EventBusImpl } from './events.js';
import type { PluginRecord, Registry } from './registry.js';
import type { MemoryStorage } from './storage.js';

export interface ContextDeps {
  registry: Registry;
  events: EventBusImpl;
  storage: MemoryStorage;
  logger: Logger;
  /** Publishes to bus subscribers and to running plugins' handleEvent. */
  publish(event: Omit<DomainEvent, 'time'> & { time?: string }): Promise<void>;
  isEnabled(id: string): boolean;
  /** plugins.configs.<id>.flags */
  flagOverrides(id: string): Record<string, boolean> | undefined;
}

export function createFlags(rec: PluginRecord, overrides: Record<string, boolean> = {}): FeatureFlags {
  const values: Record<string, boolean> = {};
  for (const f of rec.manifest.featureFlags) values[f.name] = f.default;
  Object.assign(values, overrides);
  return {
    isEnabled: (name) => values[name] === true,
    all: () => ({ ...values }),
  };
}

function createServices(rec: PluginRecord, deps: ContextDeps): ServiceRegistry {
  const resolve = (ref: string | ServiceRef<unknown>): { value?: unknown; reason?: string; service: string } => {
    const service = typeof ref === 'string' ? ref : ref.id;
    if (!rec.dependencies.some((d) => d.id === service)) {
      return { service, reason: `it is not among ${rec.id}'s dependencies; declare it in plugin.yaml (dependencies or requires)` };
    }
    const target = deps.registry.get(service);
    if (!target) return { service, reason: 'it is not registered' };
    if (!deps.isEnabled(service)) return { service, reason: 'it is disabled' };
    if ((target.state !== 'running' && target.state !== 'initialized') || !target.exportsReady) {
      return { service, reason: `it is ${target.state}` };
    }
    return { service, value: target.exported };
  };
  return {
    get<T>(ref: string | ServiceRef<T>): T {
      const r = resolve(ref);
      if (r.reason !== undefined) throw new PlugwayError('PLW_ERR_SERVICE_UNAVAILABLE', { id: rec.id, service: r.service, reason: r.reason });
      return r.value as T;
    },
    tryGet<T>(ref: string | ServiceRef<T>): T | undefined {
      return resolve(ref).value as T | undefined;
    },
  };
}

export function buildContext(rec: PluginRecord, deps: ContextDeps): PluginContext {
  const logger = deps.logger.child({ plugin_id: rec.id, version: rec.version }) as unknown as PluginLogger;
  const storage = deps.storage.namespace(rec.id);
  const flags = createFlags(rec, deps.flagOverrides(rec.id));
  const services = createServices(rec, deps);
  const events = {
    emit: <T>(type: string, data: T) => deps.publish({ type, data, source: rec.id }),
    on: <T>(type: string, handler: EventHandler<T>) => deps.events.on(type, handler, rec.key),
  };
  return {
    pluginId: rec.id,
    version: rec.version,
    config: rec.config,
    logger,
    flags,
    events,
    storage,
    services,
    // The controller is replaced on every start after a stop, so read it late.
    get signal(): AbortSignal {
      rec.abort ??= new AbortController();
      return rec.abort.signal;
    },
  };
}
