// Does the entry deliver what the manifest promises? The engine range admits this plugway, a
// Node entry's default export implements its kind, a wasm entry exports what its endpoints call.
// Used by `plugway plugin validate` and by the host's loader.
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import semver from 'semver';
import { PlugwayError, reasonOf, type ErrorCode, type ErrorParams } from '../errors.js';
import { kindContractError } from './plugin-contract.js';
import { PLUGWAY_VERSION } from '../version.js';
import { pluginExportOf } from '../runtimes/module-interop.js';
import { ensureSdkResolutionFor } from '../runtimes/sdk-resolve.js';
import { configDefaults } from './plugin-config.js';
import type { ManifestIssue, ManifestLoadResult, PluginManifest } from './types.js';
import { locate, parseYamlSource, type Position, type YamlSource } from './yaml-source.js';

// tsconfig's lib has no WebAssembly types (no DOM lib, and @types/node 20 lacks them): the little used here
type WasmModule = object;
const Wasm = (
  globalThis as unknown as {
    WebAssembly: { compile(bytes: Uint8Array): Promise<WasmModule>; Module: { exports(m: WasmModule): Array<{ name: string; kind: string }> } };
  }
).WebAssembly;

/** The reason `engine` refuses `version`, or undefined when it admits it (prereleases count). */
export function engineProblem(manifest: Pick<PluginManifest, 'engine'>, version: string = PLUGWAY_VERSION): string | undefined {
  const range = manifest.engine || '*';
  return semver.satisfies(version, range, { includePrerelease: true }) ? undefined : `requires plugway ${range}, this is ${version}`;
}

export function checkEngine(manifest: PluginManifest, version: string = PLUGWAY_VERSION): PlugwayError | undefined {
  return engineProblem(manifest, version) === undefined ? undefined : new PlugwayError('PLW_ERR_ENGINE_MISMATCH', { id: manifest.id, range: manifest.engine, version });
}

/**
 * The plugin object from an imported module: its default export, or what the default export
 * (a factory) returns when called with `config`. Throws PLW_ERR_ENTRY_INVALID.
 */
export async function instantiatePlugin(mod: unknown, manifest: PluginManifest, entry: string, config: Record<string, unknown>): Promise<object> {
  let exported = pluginExportOf(mod);
  const bad = (reason: string) => new PlugwayError('PLW_ERR_ENTRY_INVALID', { id: manifest.id, entry, reason });
  if (exported === undefined || exported === null) throw bad('it has no default export (export default definePlugin({...}) or a factory)');
  if (typeof exported === 'function') {
    let made: unknown;
    try {
      made = await (exported as (options: Record<string, unknown>) => unknown)(config);
    } catch (err) {
      throw bad(`its factory threw: ${reasonOf(err)}`);
    }
    if (!made || typeof made !== 'object') throw bad(`its factory returned ${made === null ? 'null' : typeof made}, not a plugin object`);
    return made;
  }
  if (typeof exported !== 'object') throw bad(`its default export is a ${typeof exported}, not a plugin object or factory`);
  return exported;
}

/** PLW_ERR_KIND_CONTRACT when `plugin` lacks what its kind needs. */
export function checkKindContract(manifest: PluginManifest, plugin: object): PlugwayError | undefined {
  return kindContractError(manifest, (name) => typeof (plugin as Record<string, unknown>)[name] === 'function');
}

/** What a compiled wasm module lacks: handle_request for endpoints without `function`, and each named function. */
export function missingWasmExports(manifest: PluginManifest, module: WasmModule): string[] {
  const fns = new Set(
    Wasm.Module.exports(module)
      .filter((e) => e.kind === 'function')
      .map((e) => e.name),
  );
  const needed = new Set<string>();
  for (const ep of manifest.endpoints) needed.add(ep.function ?? 'handle_request');
  if (manifest.endpoints.length === 0 && manifest.kind === 'handler') needed.add('handle_request');
  return [...needed].filter((n) => !fns.has(n));
}

const TS_ENTRY = /\.(?:[mc]?ts|tsx)$/;

/**
 * Imports a plugin entry. TypeScript goes through tsx's tsImport, which works whether or not tsx
 * hooks are registered (a built plugway runs from dist/) and whatever the package's module type.
 */
export async function importEntry(file: string): Promise<unknown> {
  const url = pathToFileURL(file).href;
  await ensureSdkResolutionFor(file);
  if (!TS_ENTRY.test(file)) return import(url);
  const { tsImport } = await import('tsx/esm/api');
  return tsImport(url, import.meta.url);
}

export interface EntryCheckOptions {
  /** The config passed to a factory; defaults to the config_schema's defaults. */
  config?: Record<string, unknown>;
  /** The plugway version `engine` must admit; defaults to this one. */
  plugwayVersion?: string;
}

/**
 * Every entry-level finding for a successfully loaded manifest, as issues: engine mismatch,
 * import failure, a default export that is not a plugin, a kind contract not met, a wasm module
 * that does not compile or lacks exports. Importing runs the module's top-level code.
 */
export async function checkEntry(result: ManifestLoadResult, options: EntryCheckOptions = {}): Promise<ManifestIssue[]> {
  const manifest = result.manifest;
  if (!manifest) return [];
  const file = result.source.file;
  let src: YamlSource | undefined;
  let parsed = false;
  const source = async (): Promise<YamlSource | undefined> => {
    if (!parsed) {
      parsed = true;
      try {
        if (file) src = parseYamlSource(await readFile(file, 'utf8'));
      } catch {
        src = undefined;
      }
    }
    return src;
  };
  const at = async (path: string[]): Promise<Position> => {
    const s = await source();
    return s ? locate(s, path) : { line: 1, col: 1 };
  };
  const issues: ManifestIssue[] = [];
  const push = async (err: PlugwayError | ErrorCode, path: string[], params: ErrorParams = {}) => {
    const e = typeof err === 'string' ? PlugwayError.rebuilt(err, params) : err;
    const p = await at(path);
    issues.push({ code: e.code, message: e.message, file: file ?? result.source.dir, line: p.line, col: p.col, path: path.join('.'), severity: 'error' });
  };

  const version = options.plugwayVersion ?? PLUGWAY_VERSION;
  const engine = checkEngine(manifest, version);
  if (engine) await push(engine, ['engine']);

  const entry = result.entryPath;
  // a remote plugin's code runs elsewhere: nothing here to import
  if (!entry || manifest.runtime.type === 'remote') return issues;
  // A process plugin's entry is Python or any program: the process runtime checks it when it starts one.
  if (manifest.runtime.type === 'process') return issues;
  if (manifest.runtime.type === 'wasm') {
    let module: WasmModule;
    try {
      module = await Wasm.compile(await readFile(entry));
    } catch (err) {
      await push('PLW_ERR_WASM_INVALID_MODULE', ['runtime', 'entry'], { id: manifest.id, file: entry, reason: reasonOf(err) });
      return issues;
    }
    for (const name of missingWasmExports(manifest, module)) {
      await push('PLW_ERR_WASM_EXPORT_MISSING', ['endpoints'], { id: manifest.id, export: `${name} (a function; see endpoints in plugin.yaml)` });
    }
    return issues;
  }

  let mod: unknown;
  try {
    mod = await importEntry(entry);
  } catch (err) {
    await push('PLW_ERR_PLUGIN_IMPORT_FAILED', ['runtime', 'entry'], { id: manifest.id, entry, reason: reasonOf(err) });
    return issues;
  }
  let plugin: object;
  try {
    plugin = await instantiatePlugin(mod, manifest, entry, options.config ?? configDefaults(manifest));
  } catch (err) {
    if (err instanceof PlugwayError) await push(err, ['runtime', 'entry']);
    else await push('PLW_ERR_ENTRY_INVALID', ['runtime', 'entry'], { id: manifest.id, entry, reason: reasonOf(err) });
    return issues;
  }
  const contract = checkKindContract(manifest, plugin);
  if (contract) {
    // point at the kind as written (`kind`, or the `type` alias), else at the manifest's top
    const raw = ((await source())?.value ?? {}) as Record<string, unknown>;
    await push(contract, 'kind' in raw ? ['kind'] : 'type' in raw ? ['type'] : []);
  }
  return issues;
}
