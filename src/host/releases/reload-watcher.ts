// hot_reload: watches each plugin's folder (chokidar), debounces a burst of changes into one reload,
// and reloads only once the files have stopped changing and the manifest parses (a half-written file is not loaded).

import { EventEmitter } from 'node:events';
import { stat } from 'node:fs/promises';
import { sep } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { Logger } from 'pino';
import { reasonOf } from '../../errors.js';
import { manifestError } from '../../manifest/index.js';
import { listPluginFiles } from '../../manifest/plugin-files.js';
import { readCandidate, type DiskCandidate } from '../loader.js';

export interface ReloadWatcherOptions {
  /** Quiet time after the last change before reloading, ms (default 300; the gateway passes plugins.reload_interval). */
  debounceMs?: number;
  /** The files must keep the same size and mtime this long, ms (default 150). */
  stableMs?: number;
  /** Give up waiting for the files to settle after this long, ms (default 10 s). */
  maxSettleMs?: number;
  logger?: Logger;
  /** Does the reload (the gateway passes one that audits and records the desired version). */
  onReload(id: string): Promise<unknown>;
}

/** What is watched of a plugin: its folder, or its manifest and entry files. */
const pathsOf = (c: DiskCandidate): string[] => ('dir' in c ? [c.dir] : [c.manifestFile, c.entryFile]);

/** Events: 'reload' {id}, 'reloaded' {id}, 'reload_failed' {id, error}, 'skipped' {id, reason}, 'ready'. */
export class ReloadWatcher extends EventEmitter {
  private watcher?: FSWatcher;
  private readonly plugins = new Map<string, DiskCandidate>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly busy = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private closed = false;
  private readonly debounceMs: number;
  private readonly stableMs: number;
  private readonly maxSettleMs: number;

  constructor(private readonly opts: ReloadWatcherOptions) {
    super();
    this.debounceMs = opts.debounceMs ?? 300;
    this.stableMs = opts.stableMs ?? 150;
    this.maxSettleMs = opts.maxSettleMs ?? 10_000;
  }

  /** Starts watching the given plugins' folders (or manifest + entry files); resolves once chokidar is ready. */
  async start(plugins: Iterable<[string, DiskCandidate]>): Promise<void> {
    const paths: string[] = [];
    for (const [id, c] of plugins) {
      this.plugins.set(id, c);
      paths.push(...pathsOf(c));
    }
    if (paths.length === 0) return;
    this.watcher = watch(paths, {
      ignoreInitial: true,
      ignored: (p: string) => p.includes(`${sep}node_modules`) || /[\\/]\.[^\\/]*$/.test(p),
      awaitWriteFinish: { stabilityThreshold: Math.max(50, Math.floor(this.stableMs / 2)), pollInterval: 25 },
    });
    this.watcher.on('all', (_event, path) => this.changed(path));
    this.watcher.on('error', (err) => this.opts.logger?.warn({ err: { message: reasonOf(err) } }, 'plugin file watcher error'));
    await new Promise<void>((resolve) => this.watcher!.once('ready', () => resolve()));
    this.emit('ready');
  }

  /** Whether a plugin's files are watched. */
  has(id: string): boolean {
    return this.plugins.has(id);
  }

  /** Watches one more plugin (one discovered or installed after start). */
  async add(id: string, c: DiskCandidate): Promise<void> {
    if (this.closed || this.plugins.has(id)) return;
    if (!this.watcher) return this.start([[id, c]]);
    this.plugins.set(id, c);
    this.watcher.add(pathsOf(c));
  }

  /** Stops watching a plugin that is gone. */
  remove(id: string): void {
    const c = this.plugins.get(id);
    if (!c) return;
    this.plugins.delete(id);
    clearTimeout(this.timers.get(id));
    this.timers.delete(id);
    void this.watcher?.unwatch(pathsOf(c));
  }

  private idOf(path: string): string | undefined {
    for (const [id, c] of this.plugins) {
      if ('dir' in c ? path === c.dir || path.startsWith(c.dir + sep) : path === c.manifestFile || path === c.entryFile) return id;
    }
    return undefined;
  }

  private changed(path: string): void {
    const id = this.idOf(path);
    if (!id || this.closed) return;
    clearTimeout(this.timers.get(id));
    const t = setTimeout(() => {
      this.timers.delete(id);
      void this.fire(id);
    }, this.debounceMs);
    this.timers.set(id, t);
  }

  private async fire(id: string): Promise<void> {
    if (this.busy.has(id)) {
      this.again.add(id);
      return;
    }
    const run = this.settleAndReload(id).finally(() => {
      this.busy.delete(id);
      if (this.again.delete(id) && !this.closed) void this.fire(id);
    });
    this.busy.set(id, run);
    await run;
  }

  /** Waits until every file keeps its size and mtime for stableMs, then checks the manifest parses. */
  private async settleAndReload(id: string): Promise<void> {
    const c = this.plugins.get(id)!;
    const started = Date.now();
    let before = await this.fingerprint(c);
    for (;;) {
      await new Promise((r) => setTimeout(r, this.stableMs));
      if (this.closed) return;
      const now = await this.fingerprint(c);
      if (now === before) break;
      before = now;
      if (Date.now() - started > this.maxSettleMs) return this.skip(id, `files kept changing for ${this.maxSettleMs} ms`);
    }
    const read = await readCandidate(c);
    if (!read.result.manifest || read.result.errors.length) return this.skip(id, `the manifest does not parse yet (${manifestError(read.result).message})`);
    if (!read.entryPath) return this.skip(id, 'no entry file yet');
    const entry = await stat(read.entryPath).catch(() => undefined);
    if (!entry || entry.size === 0) return this.skip(id, `the entry ${read.entryPath} is missing or empty`);
    this.emit('reload', { id });
    try {
      await this.opts.onReload(id);
      this.emit('reloaded', { id });
    } catch (err) {
      this.opts.logger?.warn({ plugin_id: id, err: { message: reasonOf(err) } }, `hot reload of ${id} failed: ${reasonOf(err)}`);
      this.emit('reload_failed', { id, error: err });
    }
  }

  private skip(id: string, reason: string): void {
    this.opts.logger?.info({ plugin_id: id, reason }, `hot reload of ${id} skipped: ${reason}`);
    this.emit('skipped', { id, reason });
  }

  private async fingerprint(c: DiskCandidate): Promise<string> {
    try {
      const { root, files } = listPluginFiles(c);
      const parts = await Promise.all(
        files.map(async (f) => {
          const s = await stat(`${root}${sep}${f}`).catch(() => undefined);
          return `${f}:${s?.size ?? -1}:${s?.mtimeMs ?? 0}`;
        }),
      );
      return parts.join('|');
    } catch (err) {
      return `error:${reasonOf(err)}`;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    await this.watcher?.close();
    await Promise.allSettled([...this.busy.values()]);
  }
}
