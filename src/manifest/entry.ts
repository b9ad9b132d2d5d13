// Where a plugin's code is: the declared runtime.entry, or the first default file that exists.
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { RuntimeType } from '../sdk/types.js';
import type { PluginManifest } from './types.js';

/** Files searched, in order, when runtime.entry is not declared. */
export const DEFAULT_ENTRIES: Record<RuntimeType, readonly string[]> = {
  inprocess: ['dist/index.js', 'index.js', 'index.mjs', 'src/index.ts', 'index.ts'],
  worker: ['dist/index.js', 'index.js', 'index.mjs', 'src/index.ts', 'index.ts'],
  wasm: ['plugin.wasm', 'dist/plugin.wasm', 'build/plugin.wasm'],
  // A remote plugin's code runs elsewhere: its manifest is its entry (what a reload fingerprints).
  remote: ['plugin.yaml', 'plugin.yml', 'manifest.yaml', 'manifest.yml'],
  process: ['plugin.py', 'main.py', '__init__.py', 'plugin', 'main'],
};

function isFile(p: string): boolean {
  try {
    return existsSync(p) && statSync(p).isFile();
  } catch {
    return false;
  }
}

/**
 * The absolute path of the plugin's entry file when it exists: the declared `runtime.entry`
 * (relative to `dir`), otherwise the first of DEFAULT_ENTRIES for its runtime. Undefined when none exists.
 */
export function resolveEntry(manifest: Pick<PluginManifest, 'runtime'>, dir: string): string | undefined {
  if (manifest.runtime.entry !== undefined) {
    const p = resolve(dir, manifest.runtime.entry);
    return isFile(p) ? p : undefined;
  }
  if (manifest.runtime.type === 'process' && manifest.runtime.command) {
    // `command: [node, server.mjs]` or `[./server]`: the entry is the first argument that is a file in the folder
    for (const arg of manifest.runtime.command) {
      const p = resolve(dir, arg);
      if (!arg.startsWith('-') && isFile(p) && p.startsWith(resolve(dir))) return p;
    }
    return undefined;
  }
  for (const rel of DEFAULT_ENTRIES[manifest.runtime.type] ?? []) {
    const p = resolve(dir, rel);
    if (isFile(p)) return p;
  }
  return undefined;
}
