// The loader: built-in factories, programmatic instances and directory discovery
// (<dir>/<plugin>/plugin.yaml or manifest.yaml, and <name>.yaml beside <name>.js|.mjs|.ts). A bad
// plugin (native .so/.py files included) is registered as failed with its error; the others load.

import { access, readdir, stat } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';
import semver from 'semver';
import { PlugwayError, isPlugwayError, reasonOf } from '../errors.js';
import {
  DEFAULT_MANIFEST_FILES,
  loadManifestFile,
  nativeEntryOf,
  nativeFilesIn,
  nativeHint,
  loadManifestFromDir,
  manifestError,
  normalizeManifest,
  parseDependencyString,
  validatePluginConfig,
} from '../manifest/index.js';
import { readPluginFilesSync, type PluginFilesRead } from '../manifest/plugin-files.js';
import type { DependencySpec, ManifestLoadResult, ManifestSource, PluginManifest } from '../manifest/types.js';
import type { HostConfig } from './config-types.js';
import { PluginRecord, type Registry } from './registry.js';
import { applyRuntimePolicy } from './seed-config.js';

/** Manifests read from disk at once (discovery of 1,000 plugins must not open 1,000 files together). */
export const DISCOVERY_CONCURRENCY = 64;
const ENTRY_EXTENSIONS = ['.js', '.mjs', '.ts'];
const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml']);

/** Where a plugin was found on disk: a folder with plugin.yaml, or a <name>.yaml beside its file. */
export type DiskCandidate = { dir: string } | { manifestFile: string; entryFile: string };

export interface ReadPlugin {
  candidate: DiskCandidate;
  result: ManifestLoadResult;
  entryPath?: string;
  /** The plugin's files (hash, and bytes when small), read before its manifest (readCandidate's `files`). */
  files?: PluginFilesRead;
}

export interface LoaderDeps {
  registry: Registry;
  config: HostConfig;
  hostVersion: string;
  /** Called for every record added (failed ones included). */
  onAdmitted(rec: PluginRecord, error?: PlugwayError): void;
}

/** Runs `fn` over `items` with at most `limit` in flight; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

async function exists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}

function kindOf(e: { isDirectory(): boolean; isFile(): boolean } | undefined): 'dir' | 'file' | 'other' {
  return e?.isDirectory() ? 'dir' : e?.isFile() ? 'file' : 'other';
}

/** Lists the plugins in `dir` without reading their manifests. Folders without a manifest are skipped. */
export async function discover(dir: string): Promise<DiskCandidate[]> {
  const abs = resolve(dir);
  const entries = await readdir(abs, { withFileTypes: true });
  // Symbolic links are followed (`ln -s ~/src/my-plugin plugins/`, as while developing a plugin);
  // a dangling one is skipped.
  const kinds = await Promise.all(entries.map(async (e) => kindOf(e.isSymbolicLink() ? await stat(join(abs, e.name)).catch(() => undefined) : e)));
  const files = new Set(entries.filter((_, i) => kinds[i] === 'file').map((e) => e.name));
  const folders = entries.filter((e, i) => kinds[i] === 'dir' && !e.name.startsWith('.') && e.name !== 'node_modules');
  const found = await mapLimit(folders, DISCOVERY_CONCURRENCY, async (e) => {
    for (const name of DEFAULT_MANIFEST_FILES) if (await exists(join(abs, e.name, name))) return { dir: join(abs, e.name) };
    return undefined;
  });
  const out: DiskCandidate[] = found.filter((c): c is { dir: string } => c !== undefined);
  for (const name of [...files].sort()) {
    const ext = extname(name);
    if (!MANIFEST_EXTENSIONS.has(ext)) continue;
    const stem = name.slice(0, -ext.length);
    // A native file beside it (KubeStack's my-plugin.so + my-plugin.yaml) is a candidate too: it is then reported, not skipped.
    const entry = [...ENTRY_EXTENSIONS, ...NATIVE_EXTENSIONS].map((x) => stem + x).find((f) => files.has(f));
    if (entry) out.push({ manifestFile: join(abs, name), entryFile: join(abs, entry) });
  }
  return out;
}

const NATIVE_EXTENSIONS = ['.so', '.dylib', '.dll', '.py'];

/**
 * What looks like a plugin plugway cannot load and that no manifest names: native or Python files at the
 * top of `dir` without a <name>.yaml, and folders holding only such files. Each is reported, with a hint.
 */
export async function discoverUnloadable(dir: string, candidates: readonly DiskCandidate[]): Promise<Array<{ id: string; source: ManifestSource; error: PlugwayError }>> {
  const abs = resolve(dir);
  const claimed = new Set(candidates.flatMap((c) => ('dir' in c ? [c.dir] : [c.entryFile])));
  const out: Array<{ id: string; source: ManifestSource; error: PlugwayError }> = [];
  const report = (file: string, source: ManifestSource, idFrom: DiskCandidate) =>
    out.push({ id: fallbackId(idFrom), source, error: new PlugwayError('PLW_ERR_PLUGIN_NOT_LOADABLE', { file, reason: `no plugin.yaml names it; ${nativeHint(file)}` }) });
  for (const file of nativeFilesIn(abs)) {
    if (!claimed.has(file)) report(file, { file, dir: abs }, { manifestFile: file.replace(/\.[^.]+$/, '.yaml'), entryFile: file });
  }
  const entries = await readdir(abs, { withFileTypes: true }).catch(() => []);
  for (const e of entries) {
    const sub = join(abs, e.name);
    if (!e.isDirectory() || e.name.startsWith('.') || e.name === 'node_modules' || claimed.has(sub)) continue;
    const native = nativeFilesIn(sub);
    if (native.length) report(native[0]!, { dir: sub }, { dir: sub });
  }
  return out;
}

function filesOf(candidate: DiskCandidate): PluginFilesRead | undefined {
  try {
    return readPluginFilesSync(candidate);
  } catch {
    return undefined; // unreadable or too many files: releases hash it when they need to
  }
}

/**
 * Reads one candidate's manifest (never throws). `files`: first its files, so that releases know what
 * was loaded and keep a copy of exactly those bytes later, off the path to listening.
 */
export async function readCandidate(candidate: DiskCandidate, opts: { files?: boolean } = {}): Promise<ReadPlugin> {
  const files = opts.files ? filesOf(candidate) : undefined;
  const hashed = files ? { files } : {};
  if ('dir' in candidate) {
    const result = await loadManifestFromDir(candidate.dir);
    return { candidate, result, entryPath: result.entryPath, ...hashed };
  }
  const result = await loadManifestFile(candidate.manifestFile);
  // Without runtime.entry the file beside the manifest is the entry, not the folder's defaults.
  const entryPath = result.manifest?.runtime.entry !== undefined ? result.entryPath : candidate.entryFile;
  return { candidate, result, entryPath, ...hashed };
}

/** Where to re-read a plugin from (undefined for plugins given in code). */
export function candidateOf(rec: PluginRecord): DiskCandidate | undefined {
  if (rec.builtin || rec.instance !== undefined) return undefined;
  const file = rec.source.file;
  if (file && !DEFAULT_MANIFEST_FILES.includes(basename(file)) && rec.entryPath) return { manifestFile: file, entryFile: rec.entryPath };
  return { dir: rec.source.dir };
}

function fallbackId(candidate: DiskCandidate): string {
  const raw = 'dir' in candidate ? basename(candidate.dir) : basename(candidate.manifestFile).replace(/\.ya?ml$/, '');
  return (
    raw
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'unnamed'
  );
}

export class Loader {
  constructor(private readonly deps: LoaderDeps) {}

  registerBuiltin(id: string, pluginOrFactory: unknown, manifest: Partial<PluginManifest> = {}): PluginRecord {
    const m = normalizeManifest({ ...manifest, id });
    return this.admit(m, { dir: process.cwd() }, { builtin: true, instance: pluginOrFactory });
  }

  register(manifest: PluginManifest, pluginOrFactory: unknown, source: ManifestSource = { dir: process.cwd() }): PluginRecord {
    return this.admit(normalizeManifest(manifest), source, { builtin: false, instance: pluginOrFactory });
  }

  /** Reads every manifest in `dir` in parallel (bounded) and registers each plugin, bad ones as failed. */
  async readDirectory(dir: string): Promise<{ registered: PluginRecord[]; errors: PlugwayError[] }> {
    const candidates = await discover(dir);
    const read = await mapLimit(candidates, DISCOVERY_CONCURRENCY, (c) => readCandidate(c, { files: true }));
    const registered: PluginRecord[] = [];
    const errors: PlugwayError[] = [];
    // Never skipped silently: listed as failed, with what to do (ids already taken are left to the real plugin).
    for (const u of await discoverUnloadable(dir, candidates)) {
      if (this.deps.registry.get(u.id)) {
        errors.push(u.error);
        continue;
      }
      try {
        const rec = this.admit(normalizeManifest({ id: u.id, name: u.id }), u.source, { builtin: false, error: u.error });
        registered.push(rec);
      } catch (err) {
        errors.push(isPlugwayError(err) ? err : u.error);
        continue;
      }
      errors.push(u.error);
    }
    for (const r of read) {
      try {
        const rec = this.admitRead(r);
        registered.push(rec);
        if (rec.error) errors.push(rec.error);
      } catch (err) {
        errors.push(isPlugwayError(err) ? err : new PlugwayError('PLW_ERR_INTERNAL', { reason: reasonOf(err) }));
      }
    }
    return { registered, errors };
  }

  /** Registers what readCandidate found: a valid manifest normally, a broken one as a failed placeholder. */
  admitRead(r: ReadPlugin, opts: { beside?: boolean } = {}): PluginRecord {
    const { result } = r;
    const beside = opts.beside === true;
    if (!result.manifest || result.errors.length) {
      const id = result.manifest?.id ?? fallbackId(r.candidate);
      const placeholder = normalizeManifest({ id, name: id });
      return this.admit(placeholder, result.source, { builtin: false, entryPath: r.entryPath, error: manifestError(result), beside });
    }
    const native = nativeEntryOf(result, r.entryPath);
    if (native) {
      const err = new PlugwayError('PLW_ERR_PLUGIN_NOT_LOADABLE', { file: native, reason: `the entry of ${result.manifest.id} (${result.source.file ?? result.source.dir}); ${nativeHint(native)}` });
      return this.admit(result.manifest, result.source, { builtin: false, error: err, beside });
    }
    if (!r.entryPath) {
      const err = new PlugwayError('PLW_ERR_ENTRY_NOT_FOUND', { id: result.manifest.id, entry: result.manifest.runtime.entry ?? '(default entries)', file: result.source.file ?? result.source.dir });
      return this.admit(result.manifest, result.source, { builtin: false, error: err, beside });
    }
    const rec = this.admit(result.manifest, result.source, { builtin: false, entryPath: r.entryPath, beside });
    if (r.files) rec.files = r.files;
    return rec;
  }

  /**
   * Adds a record. Throws PLW_ERR_PLUGIN_DUPLICATE / PLW_ERR_MAX_PLUGINS (nothing is added);
   * a bad config, engine or dependency string adds the plugin as failed.
   */
  admit(
    manifest: PluginManifest,
    source: ManifestSource,
    /** beside: a new version of a registered id (hot swap), added next to the active one. */
    opts: { builtin: boolean; instance?: unknown; entryPath?: string; error?: PlugwayError; beside?: boolean },
  ): PluginRecord {
    const { registry, config } = this.deps;
    // CovetPy's sandbox_enabled / memory_limit / cpu_limit, for plugins read from disk.
    manifest = applyRuntimePolicy(manifest, config.plugins, !opts.builtin && opts.instance === undefined);
    const existing = registry.get(manifest.id);
    if (existing && !opts.beside) {
      throw new PlugwayError('PLW_ERR_PLUGIN_DUPLICATE', { id: manifest.id, version: manifest.version, existing: existing.source.file ?? (existing.builtin ? 'built-in' : existing.source.dir) });
    }
    if (!existing && registry.size >= config.plugins.maxPlugins) {
      throw new PlugwayError('PLW_ERR_MAX_PLUGINS', { id: manifest.id, max: config.plugins.maxPlugins });
    }
    const overrides = config.plugins.configs[manifest.id];
    let error = opts.error;
    let validated: Record<string, unknown> = {};
    if (!error) {
      try {
        validated = validatePluginConfig(manifest, overrides?.config ?? {});
      } catch (err) {
        error = isPlugwayError(err) ? err : new PlugwayError('PLW_ERR_PLUGIN_CONFIG_INVALID', { id: manifest.id, path: '', reason: reasonOf(err) });
      }
    }
    if (!error && manifest.engine !== '*' && !semver.satisfies(this.deps.hostVersion, manifest.engine, { includePrerelease: true })) {
      error = new PlugwayError('PLW_ERR_ENGINE_MISMATCH', { id: manifest.id, range: manifest.engine, version: this.deps.hostVersion });
    }
    let dependencies: DependencySpec[] = manifest.dependencies;
    if (!error && overrides?.dependencies.length) {
      try {
        dependencies = mergeDependencies(manifest.dependencies, overrides.dependencies.map(parseDependencyString));
      } catch (err) {
        error = new PlugwayError('PLW_ERR_CONFIG_INVALID', { file: config.file ?? 'plugway.yaml', path: `plugins.configs.${manifest.id}.dependencies`, reason: reasonOf(err) });
      }
    }
    const rec = new PluginRecord(manifest, source, validated, opts.builtin, opts.instance, opts.entryPath);
    rec.dependencies = dependencies;
    if (error) rec.broken = true;
    registry.add(rec);
    this.deps.onAdmitted(rec, error);
    return rec;
  }
}

/** Config dependencies add to (or tighten) the manifest's; the config's range wins for the same id. */
function mergeDependencies(fromManifest: DependencySpec[], fromConfig: DependencySpec[]): DependencySpec[] {
  const byId = new Map(fromManifest.map((d) => [d.id, d]));
  for (const d of fromConfig) byId.set(d.id, d);
  return [...byId.values()];
}
