// CovetPy's plugin config keys in plugway.yaml (plugin_paths, reload_on_change, auto_resolve_dependencies,
// allow_circular_dependencies, sandbox_enabled, memory_limit, cpu_limit): where they may be written,
// what each means here, and the runtime policy the sandbox and limit keys apply to loaded plugins.

import { homedir } from 'node:os';
import { join } from 'node:path';
import type { PluginManifest } from '../manifest/types.js';
import type { HostConfig } from './config-types.js';

/** The CovetPy PluginConfig keys plugway reads (under `plugins:`, or at the top level as the seed writes them). */
export const COVETPY_KEYS = ['plugin_paths', 'hot_reload', 'reload_on_change', 'auto_resolve_dependencies', 'allow_circular_dependencies', 'sandbox_enabled', 'memory_limit', 'cpu_limit'] as const;

/** Their schema, beside plugway's own keys of the `plugins` section. */
export const COVETPY_SCHEMA = {
  plugin_paths: { type: 'array', items: { type: 'string' } },
  reload_on_change: { type: 'boolean' },
  auto_resolve_dependencies: { type: 'boolean' },
  allow_circular_dependencies: { type: 'boolean' },
  sandbox_enabled: { type: 'boolean' },
  memory_limit: { type: ['string', 'number'], format: 'size', minimum: 0 },
  cpu_limit: { type: 'number', exclusiveMinimum: 0 },
} as const;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Moves CovetPy keys written at the top level of the file into `plugins` (a key already there wins). */
export function liftCovetKeys(file: Obj): Obj {
  const found = COVETPY_KEYS.filter((k) => k in file);
  if (found.length === 0) return file;
  const out: Obj = { ...file };
  const plugins: Obj = isObj(out.plugins) ? { ...out.plugins } : {};
  for (const k of found) {
    if (!(k in plugins)) plugins[k] = out[k];
    delete out[k];
  }
  out.plugins = plugins;
  return out;
}

/** `~` and `~/x` → the home folder (as a shell would; CovetPy's "~/.covet/plugins"). */
export function expandHome(p: string): string {
  if (p === '~') return homedir();
  return p.startsWith('~/') ? join(homedir(), p.slice(2)) : p;
}

/** "100MB", "1GiB", "512k", bytes as a string, or a number of MB → MB, as resources.memory counts (MB = MiB there). */
export function memoryLimitMb(v: unknown): number | undefined {
  if (typeof v === 'number') return v > 0 ? v : undefined;
  if (typeof v !== 'string') return undefined;
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(v);
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = (m[2] ?? '').toLowerCase();
  const mb = ['', 'b'].includes(unit) ? n / 1048576 : ['k', 'kb', 'kib'].includes(unit) ? n / 1024 : ['m', 'mb', 'mib'].includes(unit) ? n : ['g', 'gb', 'gib'].includes(unit) ? n * 1024 : undefined;
  return mb === undefined || mb <= 0 ? undefined : Math.max(1, Math.round(mb));
}

/** The watcher's switch: reload_on_change when given (off if hot_reload is explicitly false), else hot_reload. */
export function hotReloadOf(hotReload: boolean, reloadOnChange: boolean | undefined, hotReloadExplicit: boolean): boolean {
  if (reloadOnChange === undefined) return hotReload;
  return reloadOnChange && (!hotReloadExplicit || hotReload);
}

/**
 * sandbox_enabled, memory_limit, cpu_limit applied to a plugin loaded from disk: an in-process plugin runs
 * in a worker instead (where a memory limit and a deadline hold), and the limits become its resources
 * unless its manifest sets them. Built-in plugins and ones given in code are left as they are.
 */
export function applyRuntimePolicy(manifest: PluginManifest, plugins: HostConfig['plugins'], fromDisk: boolean): PluginManifest {
  if (!fromDisk) return manifest;
  const sandbox = plugins.sandboxEnabled === true && manifest.runtime.type === 'inprocess';
  const memory = manifest.resources.memory === undefined && plugins.memoryLimitMb !== undefined;
  const cpu = manifest.resources.cpu === undefined && plugins.cpuLimit !== undefined;
  if (!sandbox && !memory && !cpu) return manifest;
  return {
    ...manifest,
    runtime: sandbox ? { ...manifest.runtime, type: 'worker' } : manifest.runtime,
    resources: { ...manifest.resources, ...(memory ? { memory: plugins.memoryLimitMb } : {}), ...(cpu ? { cpu: plugins.cpuLimit } : {}) },
  };
}
