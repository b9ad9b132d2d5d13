// ctx.storage for every plugin: the host's in-memory store, or a storage plugin (kind: storage,
// the CovetPy seed's get/set/delete/exists) named by `storage.plugin` — e.g. the built-in
// redis-storage, so that every node of a cluster sees the same plugin state.

import { PlugwayError, reasonOf } from '../errors.js';
import type { HostStorage } from '../sdk/context.js';
import type { MemoryStorage } from './storage.js';

export interface StorageBackendDeps {
  memory: MemoryStorage;
  /** The storage plugin's id, when one is configured. */
  plugin?: string;
  /** Calls the storage plugin (through its runtime: in-process, worker, wasm, process alike). */
  call: (id: string, method: string, args: unknown[]) => Promise<unknown>;
  /** Resolves when the plugin is running, or rejects after `ms` (it failed, or is still starting). */
  whenRunning: (id: string, ms: number) => Promise<void>;
  /** How long a call waits for the storage plugin to start (default 10 s). */
  startWaitMs?: number;
}

export interface NamespacedStorage {
  namespace(ns: string): HostStorage;
}

/** Keys are `<plugin id>/<key>` in the backend, so plugins cannot see each other's keys. */
export function createPluginStorage(deps: StorageBackendDeps): NamespacedStorage {
  const id = deps.plugin;
  if (!id) return deps.memory;
  const wait = deps.startWaitMs ?? 10_000;
  const call = async (method: string, args: unknown[]): Promise<unknown> => {
    try {
      await deps.whenRunning(id, wait);
      return await deps.call(id, method, args);
    } catch (err) {
      throw new PlugwayError('PLW_ERR_STORAGE_UNAVAILABLE', { id, method, reason: reasonOf(err) }, { cause: err });
    }
  };
  return {
    namespace(ns) {
      // The storage plugin's own ctx.storage cannot go through itself.
      if (ns === id) return deps.memory.namespace(ns);
      const k = (key: string) => `${ns}/${key}`;
      return {
        get: async <T>(key: string) => (await call('get', [k(key)])) as T | undefined,
        set: async (key, value, ttlMs) => {
          await call('set', [k(key), value, ttlMs]);
        },
        delete: async (key) => Boolean(await call('delete', [k(key)])),
        exists: async (key) => Boolean(await call('exists', [k(key)])),
      };
    },
  };
}
