// Runs inside a worker thread: imports a Node plugin (.ts through tsx, .js, .mjs), rebuilds its
// PluginContext over the bridge to the main thread, and serves its methods.

import { pathToFileURL } from 'node:url';
import { WorkerSide } from './worker-side.js';
import { pluginExportOf } from '../module-interop.js';
import type { PluginContext } from '../../sdk/context.js';
import type { DomainEvent } from '../../sdk/types.js';

const side = new WorkerSide();
const { boot } = side;

function buildContext(): PluginContext {
  const servicesError = (service: string) =>
    Object.assign(
      new Error(
        `Plugin ${boot.pluginId}: service ${service} is not available: plugins in a worker cannot reach other plugins' exports (objects cannot cross a thread boundary); use events or HTTP, or run both in-process`,
      ),
      { code: 'PLW_ERR_SERVICE_UNAVAILABLE', params: { id: boot.pluginId, service, reason: 'not available across worker threads' } },
    );
  const refId = (ref: string | { id: string }) => (typeof ref === 'string' ? ref : ref.id);
  return {
    pluginId: boot.pluginId,
    version: boot.version,
    config: boot.config,
    logger: side.logger({ instance: boot.instance }),
    flags: {
      isEnabled: (name: string) => side.flags[name] === true,
      all: () => ({ ...side.flags }),
    },
    events: {
      emit: async (type: string, data: unknown) => {
        await side.bridge('events.emit', [type, data]);
      },
      on: (type: string, handler: (e: DomainEvent<never>) => void | Promise<void>) =>
        side.subscribe(type, (e) => {
          void Promise.resolve()
            .then(() => handler(e as DomainEvent<never>))
            .catch((err: unknown) => side.logger({ instance: boot.instance }).error({ err }, `event handler for ${type} failed`));
        }),
    },
    storage: {
      get: async <T>(key: string) => (await side.bridge('storage.get', [key])) as T | undefined,
      set: async (key: string, value: unknown, ttlMs?: number) => {
        await side.bridge('storage.set', [key, value, ttlMs]);
      },
      delete: async (key: string) => (await side.bridge('storage.delete', [key])) as boolean,
      exists: async (key: string) => (await side.bridge('storage.exists', [key])) as boolean,
    },
    services: {
      get: (ref: string | { id: string }) => {
        throw servicesError(refId(ref));
      },
      tryGet: () => undefined,
    },
    signal: side.stopController.signal,
  } as PluginContext;
}

function methodNames(obj: object): string[] {
  const names = new Set<string>();
  for (let o: object | null = obj; o && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) {
    for (const k of Object.getOwnPropertyNames(o)) {
      if (k !== 'constructor' && typeof (obj as Record<string, unknown>)[k] === 'function') names.add(k);
    }
  }
  return [...names];
}

void side.serve(async () => {
  const entry = boot.extra.entryPath as string;
  const mod = (await import(pathToFileURL(entry).href)) as Record<string, unknown>;
  let plugin: unknown = pluginExportOf(mod) ?? mod;
  if (typeof plugin === 'function') plugin = await (plugin as (c: unknown) => unknown)(boot.config);
  if (!plugin || typeof plugin !== 'object') throw new Error(`${entry} does not export a plugin object or factory (default export)`);
  const p = plugin as Record<string, (...a: unknown[]) => unknown>;
  const ctx = buildContext();
  return {
    methods: methodNames(p),
    call: (method, args) => {
      const fn = p[method];
      if (typeof fn !== 'function') throw Object.assign(new Error(`not implemented: ${method}`), { code: 'PLW_ERR_METHOD_NOT_IMPLEMENTED' });
      return fn.call(p, ...args, ctx);
    },
  };
});
