// Files the KubeStack seed's layouts put where a plugway entry would be (plugin.so, a Python file):
// a shared library plugway cannot run at all, Python only under the process runtime; each is reported
// with what to do, by the loader and by `plugin validate` alike.

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
  if (ext === '.py') {
    return `${name} is Python source, which runs under the process runtime only: declare runtime: {type: process, entry: ${name}} in its plugin.yaml (the Python SDK: docs/runtimes.md#process)`;
  }
  const what = NATIVE[ext] ?? 'not JavaScript, TypeScript or WebAssembly';
  return `${name} is ${what}, which plugway cannot load into a process: build the plugin to WebAssembly (Go: TinyGo with the Extism Go PDK; C/Rust: the Extism PDKs) and set runtime: {type: wasm, entry: plugin.wasm}, or build an executable and run it with runtime: {type: process, entry: <executable>}`;
}

/**
 * The native file a loaded manifest stands for, if any: its entry when that is native, else (no entry
 * found and none declared) a same-named native file beside a <name>.yaml, or one in a plugin folder.
 */
export function nativeEntryOf(result: ManifestLoadResult, entryPath = result.entryPath): string | undefined {
  // The process runtime runs a .py entry (and any executable): only a shared library is beyond it.
  const processRuntime = result.manifest?.runtime.type === 'process';
  const unloadable = (f: string) => isNativeEntry(f) && !(processRuntime && extname(f).toLowerCase() === '.py');
  if (entryPath) return unloadable(entryPath) ? entryPath : undefined;
  if (!result.manifest || result.manifest.runtime.entry !== undefined || processRuntime) return undefined;
  const file = result.source.file;
  const name = file ? basename(file) : '';
  if (file && !/^(plugin|manifest)\.ya?ml$/.test(name)) {
    const stem = join(dirname(file), name.replace(/\.ya?ml$/, ''));
    return Object.keys(NATIVE)
      .map((x) => stem + x)
      .find((f) => existsSync(f));
  }
  return nativeFilesIn(result.source.dir)[0];
}
