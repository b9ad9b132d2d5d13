// The `worker` runtime: each plugin instance in its own worker_threads Worker, with heap limits,
// deadlines that end stuck threads, and crash → restart with backoff. Isolates crashes, memory and
// CPU, not privileges: the plugin has the whole Node API.

import type { ResourceLimits } from 'node:worker_threads';
import { PlugwayError } from '../../errors.js';
import type { PluginRuntime, RuntimeInit } from '../types.js';
import { IsolatedRuntime, tuningOf } from '../isolated-runtime.js';
import { serveModule } from './serve-module.js';
import { tsxApiUrls } from '../tsx.js';
import { needsSdkResolution } from '../sdk-resolve.js';
import { grantedEnv } from '../granted-env.js';
import type { RuntimeTuning } from '../isolated-runtime.js';

export type { RuntimeTuning } from '../isolated-runtime.js';
export { DEFAULT_TUNING } from '../isolated-runtime.js';

/** The URL of a module next to this one, as .ts in a checkout (run through tsx) or .js in dist/. */
export function siblingModule(base: string, name: string): { url: string; typescript: boolean } {
  const typescript = base.endsWith('.ts');
  return { url: new URL(`./${name}${typescript ? '.ts' : '.js'}`, base).href, typescript };
}

export function heapLimits(memoryMb: number | undefined): ResourceLimits | undefined {
  if (!memoryMb) return undefined;
  return {
    maxOldGenerationSizeMb: memoryMb,
    maxYoungGenerationSizeMb: Math.max(1, Math.min(16, Math.floor(memoryMb / 8))),
  };
}

export function createWorkerRuntime(init: RuntimeInit, tuning: Partial<RuntimeTuning> = {}): PluginRuntime {
  const { manifest, entryPath } = init;
  if (!entryPath) {
    throw new PlugwayError('PLW_ERR_ENTRY_INVALID', {
      id: manifest.id,
      entry: '(none)',
      reason: 'the worker runtime loads plugins from a file; set runtime.entry in plugin.yaml (programmatic plugins run in-process)',
    });
  }
  const serve = siblingModule(import.meta.url, 'plugin-worker');
  const tsEntry = /\.(ts|mts|cts|tsx)$/.test(entryPath);
  const needsTsx = serve.typescript || tsEntry;
  const memoryMb = manifest.resources.memory;
  const limits = heapLimits(memoryMb);
  return new IsolatedRuntime(init, {
    type: 'worker',
    serveModule: serve.url,
    ...(needsTsx ? { tsx: tsxApiUrls() } : {}),
    // tsx costs ~200 ms per thread: registered only for a TypeScript entry (or if the bundle is not possible).
    resolveServe: async () => {
      const [m, sdkHook] = await Promise.all([serveModule(import.meta.url, 'plugin-worker'), needsSdkResolution(entryPath)]);
      return { serveModule: m.url, ...(m.typescript || tsEntry ? { tsx: tsxApiUrls() } : {}), sdkHook };
    },
    extra: { entryPath },
    // a thread sees only the variables its manifest grants (it still shares files and network: docs/runtimes.md)
    env: grantedEnv(manifest.permissions.env),
    ...(limits ? { resourceLimits: limits } : {}),
    // The same number bounds Buffers and ArrayBuffers, which the heap limit does not see.
    ...(memoryMb ? { memoryMb, externalLimitMb: memoryMb } : {}),
    tuning: tuningOf(init, tuning),
  });
}
