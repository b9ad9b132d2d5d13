// Picks the runtime a manifest asks for. Runtimes are imported lazily so that a host with only
// in-process plugins never loads worker or Extism code.

import { PlugwayError } from '../errors.js';
import type { RuntimeType } from '../sdk/types.js';
import type { PluginRuntime, RuntimeFactory, RuntimeInit } from './types.js';

export type * from './types.js';

const loaders: Record<RuntimeType, () => Promise<RuntimeFactory>> = {
  inprocess: async () => (await import('./inprocess/index.js')).createInProcessRuntime,
  worker: async () => (await import('./worker/index.js')).createWorkerRuntime,
  wasm: async () => (await import('./wasm/index.js')).createWasmRuntime,
  remote: async () => (await import('./remote/index.js')).createRemoteRuntime,
  process: async () => (await import('./process/index.js')).createProcessRuntime,
};

export const AVAILABLE_RUNTIMES = Object.keys(loaders) as RuntimeType[];

/** One import per runtime type: a repeated dynamic import() still costs a loader round trip (and tsx's hooks). */
const factories = new Map<RuntimeType, Promise<RuntimeFactory>>();

export async function createRuntime(type: RuntimeType, init: RuntimeInit): Promise<PluginRuntime> {
  const loader = loaders[type];
  if (!loader) throw new PlugwayError('PLW_ERR_RUNTIME_UNKNOWN', { type, available: AVAILABLE_RUNTIMES.join(', ') });
  let factory = factories.get(type);
  if (!factory) {
    factory = loader();
    factories.set(type, factory);
    // a failed import (a missing optional dependency) is retried next time
    factory.catch(() => factories.delete(type));
  }
  return (await factory)(init);
}
