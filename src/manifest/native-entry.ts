// Files the KubeStack seed's layouts put where a plugway entry would be (plugin.so, a Python file):
// plugway cannot run them, so they are reported with what to do, by the loader and by `plugin validate` alike.

import { readdirSync } from 'node:fs';
import { existsSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import type { ManifestLoadResult } from './types.js';

const NATIVE: Record<string, string> = {
  '.so': 'a native shared library (a Go or C plugin)',
  '.dylib': 'a native shared library (a Go or C plugin)',
  '.dll': 'a native shared library (a Go or C plugin)',
  '.py': 'Python source',
};

export function isNativeEntry(file: string): boolean {
  return extname(file).toLowerCase() in NATIVE;
}

/** The native files directly in `dir` (sorted). */
export function nativeFilesIn(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isFile() && isNativeEntry(e.name))
      .map((e) => join(dir, e.name))
      .sort();
  } catch {
    return [];
  }
}

/** What `file` is and how to make it a plugin plugway can run. */
export function nativeHint(file: string): string {
  const name = basename(file);
  const ext = extname(file).toLowerCase();
  const what = NATIVE[ext] ?? 'not JavaScript, TypeScript or WebAssembly';
  const how =
    ext === '.py'
      ? 'compile it to WebAssembly with the Extism Python PDK (extism-py) and set runtime: {type: wasm, entry: plugin.wasm}, or port it to TypeScript (plugway plugin create)'
      : 'build the plugin to WebAssembly instead (Go: TinyGo with the Extism Go PDK; C/Rust: the Extism PDKs) and set runtime: {type: wasm, entry: plugin.wasm}, or port it to TypeScript (plugway plugin create)';
  return `${name} is ${what}, which plugway cannot load (it runs JavaScript/TypeScript in-process or in a worker, and WebAssembly): ${how}`;
}

/**
 * The native file a loaded manifest stands for, if any: its entry when that is native, else (no entry
 * found and none declared) a same-named native file beside a <name>.yaml, or one in a plugin folder.
 */
export function nativeEntryOf(result: ManifestLoadResult, entryPath = result.entryPath): string | undefined {
  if (entryPath) return isNativeEntry(entryPath) ? entryPath : undefined;
  if (!result.manifest || result.manifest.runtime.entry !== undefined) return undefined;
  const file = result.source.file;
  const name = file ? basename(file) : '';
  if (file && !/^(plugin|manifest)\.ya?ml$/.test(name)) {
    const stem = join(dirname(file), name.replace(/\.ya?ml$/, ''));
    return Object.keys(NATIVE).map((x) => stem + x).find((f) => existsSync(f));
  }
  return nativeFilesIn(result.source.dir)[0];
}
