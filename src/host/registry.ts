// The plugin registry: instances keyed by id and version, O(1) lookup of the active instance,
// indexes by kind and by state kept in sync on every transition, and a per-plugin mutex.

import type { PluginFilesRead } from '../manifest/plugin-files.js';
import type { PlugwayError } from '../errors.js';
import type { ManifestSource, PluginManifest } from '../manifest/types.js';
import type { PluginRuntime } from '../runtimes/types.js';
import type { PluginContext } from '../sdk/context.js';
import type { HealthState, HealthStatus, PluginKind, PluginState } from '../sdk/types.js';
import { KeyedMutex } from './mutex.js';
import type { PluginInstance } from './types.js';

/** The registry's mutable record behind the read-only PluginInstance the host hands out. */
export class PluginRecord implements PluginInstance {
  readonly key: string;
  state: PluginState = 'unloaded';
  health: HealthState = 'unknown';
  healthDetail?: HealthStatus;
  error?: PlugwayError;
  runtime?: PluginRuntime;
  loadedAt?: Date;
  /** Epoch ms of the last call; a number so the call path allocates no Date. */
  lastUsedMs = 0;
  /** The state it failed from (a retry of a plugin that was running stops it first). */
  failedFrom?: PluginState;
  /** True when the manifest or config itself is bad: a retry must re-read it from disk. */
  broken = false;
  context?: PluginContext;
  abort?: AbortController;
  /** What the plugin exposes to dependents (computed once after init). */
  exported?: unknown;
  exportsReady = false;
  /** Dependencies from the manifest plus plugins.configs.<id>.dependencies. */
  dependencies: PluginManifest['dependencies'];
  /** Its files as read from disk (plugin-files.ts): the content hash releases compare, and the bytes they keep. */
  files?: PluginFilesRead;

  constructor(
    readonly manifest: PluginManifest,
    readonly source: ManifestSource,
    readonly config: Record<string, unknown>,
    readonly builtin: boolean,
    /** The plugin object or factory given in code (undefined for plugins loaded from disk). */
    readonly instance?: unknown,
    readonly entryPath?: string,
  ) {
    this.key = `${manifest.id}@${manifest.version}`;
    this.dependencies = manifest.dependencies;
  }

  get id(): string {
    return this.manifest.id;
  }
  get version(): string {
    return this.manifest.version;
  }
  get lastUsedAt(): Date | undefined {
    return this.lastUsedMs ? new Date(this.lastUsedMs) : undefined;
  }
}

export class Registry {
  private readonly byKey = new Map<string, PluginRecord>();
  private readonly active = new Map<string, PluginRecord>();
  private readonly versions = new Map<string, Map<string, PluginRecord>>();
  private readonly byKind = new Map<PluginKind, Set<PluginRecord>>();
  private readonly byState = new Map<PluginState, Set<PluginRecord>>();
  private readonly mutex = new KeyedMutex();

  /** Adds an instance; the first version of an id becomes the active one. */
  add(rec: PluginRecord): void {
    if (this.byKey.has(rec.key)) throw new Error(`registry: ${rec.key} already present`);
    this.byKey.set(rec.key, rec);
    let vs = this.versions.get(rec.id);
    if (!vs) this.versions.set(rec.id, (vs = new Map()));
    vs.set(rec.version, rec);
    if (!this.active.has(rec.id)) this.active.set(rec.id, rec);
    indexAdd(this.byKind, rec.manifest.kind, rec);
    indexAdd(this.byState, rec.state, rec);
  }

  /** Removes one version; if it was active, another kept version (if any) becomes active. */
  remove(rec: PluginRecord): void {
    if (this.byKey.get(rec.key) !== rec) return;
    this.byKey.delete(rec.key);
    const vs = this.versions.get(rec.id)!;
    vs.delete(rec.version);
    if (vs.size === 0) this.versions.delete(rec.id);
    if (this.active.get(rec.id) === rec) {
      const next = vs.values().next();
      if (next.done) this.active.delete(rec.id);
      else this.active.set(rec.id, next.value);
    }
    indexDelete(this.byKind, rec.manifest.kind, rec);
    indexDelete(this.byState, rec.state, rec);
  }

  /** Switches the active version of `id` in one step (the hot swap builds on it). */
  setActive(id: string, version: string): PluginRecord {
    const rec = this.versions.get(id)?.get(version);
    if (!rec) throw new Error(`registry: no ${id}@${version}`);
    this.active.set(id, rec);
    return rec;
  }

  /** Moves a record to a new state, keeping the state index in sync. */
  setState(rec: PluginRecord, state: PluginState): void {
    if (rec.state === state) return;
    if (this.byKey.get(rec.key) === rec) {
      indexDelete(this.byState, rec.state, rec);
      indexAdd(this.byState, state, rec);
    }
    rec.state = state;
  }

  get(id: string): PluginRecord | undefined {
    return this.active.get(id);
  }

  getVersion(id: string, version: string): PluginRecord | undefined {
    return this.byKey.get(`${id}@${version}`);
  }

  versionsOf(id: string): PluginRecord[] {
    const vs = this.versions.get(id);
    return vs ? [...vs.values()] : [];
  }

  has(id: string): boolean {
    return this.active.has(id);
  }

  /** Number of distinct plugin ids. */
  get size(): number {
    return this.active.size;
  }

  ids(): string[] {
    return [...this.active.keys()];
  }

  /** Active instances, optionally narrowed through the kind and state indexes. */
  list(filter: { kind?: string; state?: PluginState } = {}): PluginRecord[] {
    let candidates: Iterable<PluginRecord>;
    if (filter.state !== undefined) candidates = this.byState.get(filter.state) ?? [];
    else if (filter.kind !== undefined) candidates = this.byKind.get(filter.kind as PluginKind) ?? [];
    else return [...this.active.values()];
    const out: PluginRecord[] = [];
    for (const rec of candidates) {
      if (this.active.get(rec.id) !== rec) continue;
      if (filter.kind !== undefined && rec.manifest.kind !== filter.kind) continue;
      out.push(rec);
    }
    return out;
  }

  /** Every instance, all versions. */
  all(): PluginRecord[] {
    return [...this.byKey.values()];
  }

  countByState(state: PluginState): number {
    return this.byState.get(state)?.size ?? 0;
  }

  /** Serializes lifecycle operations on one plugin id (a second one waits, queued in order). */
  lock<T>(id: string, fn: () => Promise<T> | T): Promise<T> {
    return this.mutex.run(id, fn);
  }

  isLocked(id: string): boolean {
    return this.mutex.isLocked(id);
  }
}

function indexAdd<K>(index: Map<K, Set<PluginRecord>>, key: K, rec: PluginRecord): void {
  let set = index.get(key);
  if (!set) index.set(key, (set = new Set()));
  set.add(rec);
}

function indexDelete<K>(index: Map<K, Set<PluginRecord>>, key: K, rec: PluginRecord): void {
  index.get(key)?.delete(rec);
}
