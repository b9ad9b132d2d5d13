// Builds the PluginContext a plugin receives: identity, validated config, a child logger,
// feature flags, the event bus and hooks scoped to the plugin, namespaced storage, services, stop signal.

import type { Logger } from 'pino';
import { PlugwayError } from '../errors.js';
import type { EventHandler, FeatureFlags, PluginCalls, PluginContext, PluginHookName, PluginHooks, PluginLogger, PluginRef, ServiceRef, ServiceRegistry } from '../sdk/context.js';
import { LLM_HOOK_NAMES } from '../sdk/llm.js';
import type { DomainEvent, PluginState } from '../sdk/types.js';
import type { CallOptions } from '../runtimes/types.js';
import type { PluginMetricStore } from './plugin-metrics.js';
import type { EventBusImpl } from './events.js';
import type { HookManagerImpl } from './hooks.js';
import type { PluginRecord, Registry } from './registry.js';
import type { NamespacedStorage } from './plugin-storage.js';
import { isReservedEventType, RESERVED_EVENT_PREFIXES } from './reserved-events.js';

export interface ContextDeps {
  registry: Registry;
  events: EventBusImpl;
  hooks: HookManagerImpl;
  storage: NamespacedStorage;
  logger: Logger;
  /** Publishes to bus subscribers and to running plugins' handleEvent. */
  publish(event: Omit<DomainEvent, 'time'> & { time?: string }): Promise<void>;
  isEnabled(id: string): boolean;
  /** plugins.configs.<id>.flags */
  flagOverrides(id: string): Record<string, boolean> | undefined;
  /** The host's call (ctx.plugins). */
  call<T>(id: string, method: string, args: readonly unknown[], options?: CallOptions): Promise<T>;
  /** plugins.configs.<id>.priority (0 when absent). */
  priority(id: string): number;
  pluginMetrics: PluginMetricStore;
}

/**
 * Manifest defaults under the overrides. `overrides` may be a function: read on every call, so a flag
 * toggled at run time (PUT /admin/plugins/:id/flags/:name) is seen at once.
 */
export function createFlags(rec: PluginRecord, overrides: Record<string, boolean> | (() => Record<string, boolean> | undefined) = {}): FeatureFlags {
  const defaults: Record<string, boolean> = {};
  for (const f of rec.manifest.featureFlags) defaults[f.name] = f.default;
  const current = typeof overrides === 'function' ? overrides : () => overrides;
  return {
    isEnabled: (name) => (current()?.[name] ?? defaults[name]) === true,
    all: () => ({ ...defaults, ...current() }),
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

const STATES: readonly PluginState[] = ['unloaded', 'loaded', 'initialized', 'running', 'stopping', 'stopped', 'failed'];
const HOOK_NAMES: ReadonlySet<string> = new Set(['onRequest', 'onResponse', 'onError', 'onProviderSwitch', ...LLM_HOOK_NAMES, ...STATES.map((s) => `lifecycle.${s}`)]);
const EMITTABLE: ReadonlySet<string> = new Set(LLM_HOOK_NAMES);

/**
 * ctx.hooks: hooks owned by this version of the plugin (`id@version`, so that a hot swap stopping
 * the old version keeps the new one's), removed when the plugin's stop signal fires — on stop and
 * on failure, as its event subscriptions are.
 */
function createHooks(rec: PluginRecord, deps: ContextDeps, logger: PluginLogger): PluginHooks {
  return {
    on(name, handler, options = {}) {
      if (!HOOK_NAMES.has(name)) throw new TypeError(`Plugin ${rec.id}: ctx.hooks.on: unknown hook "${String(name)}"; known: ${[...HOOK_NAMES].join(', ')}`);
      if (typeof handler !== 'function') throw new TypeError(`Plugin ${rec.id}: ctx.hooks.on("${name}"): the handler must be a function`);
      const t = options.timeoutMs;
      if (t !== undefined && !(typeof t === 'number' && t > 0 && Number.isFinite(t))) {
        throw new TypeError(`Plugin ${rec.id}: ctx.hooks.on("${name}"): timeoutMs must be a positive number of milliseconds`);
      }
      const signal = rec.abort?.signal;
      if (!signal || signal.aborted) {
        // registered after stop (a late timer): it would outlive the plugin
        logger.warn({ hook: name }, `hook ${name} not registered: plugin ${rec.id} is ${rec.state}`);
        return () => undefined;
      }
      const remove = deps.hooks.add(name as PluginHookName, handler as (payload: unknown) => unknown, { owner: rec.key, ...(t !== undefined ? { timeoutMs: t } : {}) });
      const off = (): void => {
        signal.removeEventListener('abort', off);
        remove();
      };
      signal.addEventListener('abort', off, { once: true });
      return off;
    },
    emit(name, payload) {
      if (!EMITTABLE.has(name)) return Promise.reject(new TypeError(`Plugin ${rec.id}: ctx.hooks.emit: only ${[...EMITTABLE].join(', ')} can be fired by a plugin, not "${String(name)}"`));
      return deps.hooks.run(name, payload);
    },
  };
}

const CALLABLE_KINDS: ReadonlySet<string> = new Set(['provider', 'router']);

/** ctx.plugins: calls into running provider and router plugins, through the host (deadline, counts, isolation). */
function createPluginCalls(rec: PluginRecord, deps: ContextDeps): PluginCalls {
  const refOf = (r: PluginRecord): PluginRef => ({
    id: r.id,
    kind: r.manifest.kind as PluginRef['kind'],
    runtime: r.manifest.runtime.type,
    priority: deps.priority(r.id),
    health: r.health,
    implements: (m: string) => r.runtime?.implements(m) ?? false,
  });
  const usable = (r: PluginRecord | undefined): r is PluginRecord => r !== undefined && r.id !== rec.id && CALLABLE_KINDS.has(r.manifest.kind) && r.state === 'running' && deps.isEnabled(r.id);
  return {
    list(kind) {
      return deps.registry
        .list({ kind, state: 'running' })
        .filter(usable)
        .map(refOf)
        .sort((a, b) => b.priority - a.priority || a.id.localeCompare(b.id));
    },
    get(id) {
      const r = deps.registry.get(id);
      return usable(r) ? refOf(r) : undefined;
    },
    call<T>(id: string, method: string, args: readonly unknown[] = [], options: { signal?: AbortSignal; timeoutMs?: number } = {}): Promise<T> {
      const r = deps.registry.get(id);
      if (r && !CALLABLE_KINDS.has(r.manifest.kind)) {
        return Promise.reject(new PlugwayError('PLW_ERR_FORBIDDEN', { reason: `ctx.plugins reaches provider and router plugins only; ${id} is a ${r.manifest.kind}` }));
      }
      const co: CallOptions = {};
      if (options.signal) co.signal = options.signal;
      if (options.timeoutMs !== undefined) co.deadline = Date.now() + options.timeoutMs;
      return deps.call<T>(id, method, args, co);
    },
  };
}

export function buildContext(rec: PluginRecord, deps: ContextDeps): PluginContext {
  const logger = deps.logger.child({ plugin_id: rec.id, version: rec.version }) as unknown as PluginLogger;
  const storage = deps.storage.namespace(rec.id);
  const flags = createFlags(rec, () => deps.flagOverrides(rec.id));
  const services = createServices(rec, deps);
  const events = {
    emit: <T>(type: string, data: T) => {
      if (typeof type !== 'string' || isReservedEventType(type)) {
        const t = String(type);
        return Promise.reject(
          new PlugwayError('PLW_ERR_EVENT_RESERVED', { id: rec.id, type: t, prefixes: RESERVED_EVENT_PREFIXES.map((p) => `${p}*`).join(', '), suffix: t.slice(t.indexOf('.') + 1) || 'happened' }),
        );
      }
      return deps.publish({ type, data, source: rec.id });
    },
    on: <T>(type: string, handler: EventHandler<T>) => deps.events.on(type, handler, rec.key),
  };
  const hooks = createHooks(rec, deps, logger);
  const plugins = createPluginCalls(rec, deps);
  const metrics = deps.pluginMetrics.forPlugin(rec.id);
  return {
    pluginId: rec.id,
    version: rec.version,
    config: rec.config,
    logger,
    flags,
    events,
    hooks,
    plugins,
    metrics,
    storage,
    services,
    // The controller is replaced on every start after a stop, so read it late.
    get signal(): AbortSignal {
      rec.abort ??= new AbortController();
      return rec.abort.signal;
    },
  };
}
