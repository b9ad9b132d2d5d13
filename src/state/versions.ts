// Kept plugin versions: <state dir>/versions/<id>/<hash>/ holds the manifest and entry files of a
// version (content-addressed by sha256), index.json the last N that served and the desired (pinned) one.

import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readFile, rename, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { PlugwayError, reasonOf } from '../errors.js';
import { writeFileAtomic } from './atomic-write.js';
import { contentHash, hashContents, listPluginFiles, type FileLayout, type PluginFilesSource } from '../manifest/plugin-files.js';

export type { PluginFilesSource } from '../manifest/plugin-files.js';

export interface KeptVersion {
  hash: string;
  version: string;
  /** When it last became the active version (ISO). */
  savedAt: string;
  /** Relative paths of the kept files. */
  files: string[];
  /** The entry file (relative) and its sha256: the code this version number was built as. */
  entry?: string;
  entryHash?: string;
  /** 'dir' (plugin.yaml in the folder) or the manifest and entry file names of a single-file plugin. */
  layout: FileLayout;
  /** Set when an automatic rollback threw this version out (cleared when it becomes active again). */
  rejected?: { at: string; reason: string };
}

export interface DesiredVersion {
  hash: string;
  version: string;
  /** Pinned by a rollback: served after a restart even when the files on disk differ. */
  pinned: boolean;
  setAt: string;
  reason?: string;
}

export interface VersionIndex {
  /** Most recent first. */
  history: KeptVersion[];
  desired?: DesiredVersion;
}

export interface SavedFiles {
  hash: string;
  /** The snapshot to load from (version-specific paths, so ESM imports never hit a stale cache). */
  candidate: PluginFilesSource;
  layout: KeptVersion['layout'];
  files: string[];
  /** True when this content was already kept. */
  existed: boolean;
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}

/** The `.complete` mark of a kept folder (written last, before the rename that makes it appear). */
async function readComplete(dir: string): Promise<{ files: string[] } | undefined> {
  try {
    const c = JSON.parse(await readFile(join(dir, '.complete'), 'utf8')) as { files?: unknown };
    return Array.isArray(c.files) ? { files: c.files as string[] } : undefined;
  } catch {
    return undefined;
  }
}

/** The "type" of the nearest package.json at or above `dir` (what Node and tsx use to pick ESM or CJS). */
async function moduleTypeAt(dir: string): Promise<string | undefined> {
  for (let d = dir; ; d = dirname(d)) {
    try {
      const pkg = JSON.parse(await readFile(join(d, 'package.json'), 'utf8')) as { type?: string };
      return pkg.type ?? 'commonjs';
    } catch {
      /* not here or unreadable: look further up */
    }
    if (dirname(d) === d) return undefined;
  }
}

/** VersionStore.previous over a history already read. */
export function previousOf(history: readonly KeptVersion[], exclude: readonly string[] = []): KeptVersion | undefined {
  const skip = new Set(exclude);
  return history
    .map((v, i) => ({ v, i, t: Date.parse(v.savedAt) || 0 }))
    .sort((a, b) => b.t - a.t || a.i - b.i)
    .map((x) => x.v)
    .find((v) => !skip.has(v.hash) && !v.rejected);
}

export class VersionStore {
  readonly root: string;
  /** The last write queued on each plugin's index. */
  private readonly queues = new Map<string, Promise<void>>();

  constructor(
    readonly stateDir: string,
    /** Versions kept per plugin (state.keep_versions). */
    readonly keep: number,
  ) {
    this.root = join(stateDir, 'versions');
  }

  dirOf(id: string, hash?: string): string {
    if (!/^[a-z0-9][a-z0-9._-]*$/i.test(id)) throw new PlugwayError('PLW_ERR_VERSION_NOT_FOUND', { id, version: '(invalid plugin id)' });
    return hash ? join(this.root, id, hash) : join(this.root, id);
  }

  /**
   * Copies the plugin's files into versions/<id>/<hash>/ (once per content) and says where to load them
   * from. The hash is the copy's: files changing on disk meanwhile never land under another content's
   * name. `known`: a hash this content may have; when it is kept already, nothing is read or copied.
   * `contents`: the bytes to keep (what the loader read), instead of the files on disk now.
   */
  async save(id: string, src: PluginFilesSource, opts: { known?: string; contents?: ReadonlyMap<string, Buffer> } = {}): Promise<SavedFiles> {
    const { known, contents } = opts;
    if (known) {
      const kept = await readComplete(this.dirOf(id, known));
      if (kept) {
        const { layout } = 'dir' in src ? { layout: { kind: 'dir' } as const } : listPluginFiles(src);
        return { hash: known, candidate: this.candidateFor(id, known, layout), layout, files: kept.files, existed: true };
      }
    }
    const { root, files, layout } = contents && 'dir' in src ? { root: src.dir, files: [...contents.keys()].sort(), layout: { kind: 'dir' } as const } : listPluginFiles(src);
    const tmp = join(this.dirOf(id), `.tmp-${randomBytes(6).toString('hex')}`);
    let hash: string;
    let existed: boolean;
    try {
      await mkdir(tmp, { recursive: true });
      for (const f of files) {
        await mkdir(dirname(join(tmp, f)), { recursive: true });
        const held = contents?.get(f);
        if (held) await writeFile(join(tmp, f), held);
        else await copyFile(join(root, f), join(tmp, f));
      }
      hash = contents ? hashContents(contents) : await contentHash(tmp, files);
      existed = (await readComplete(this.dirOf(id, hash))) !== undefined;
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      throw new PlugwayError('PLW_ERR_STATE_WRITE', { file: this.dirOf(id), reason: reasonOf(err) });
    }
    const target = this.dirOf(id, hash);
    if (existed) await rm(tmp, { recursive: true, force: true });
    else {
      try {
        // The module type comes from the nearest package.json; the snapshot lives elsewhere, so it carries its own.
        if (!files.includes('package.json')) {
          const type = await moduleTypeAt(root);
          if (type) await writeFile(join(tmp, 'package.json'), JSON.stringify({ type, private: true }) + '\n');
        }
        // A worker plugin's npm dependencies stay where they are; the snapshot resolves them through a link.
        if ('dir' in src && (await exists(join(src.dir, 'node_modules')))) await symlink(join(src.dir, 'node_modules'), join(tmp, 'node_modules'), 'dir');
        // No fsync here: the folder appears whole by the rename; one lost in a crash is copied again.
        await writeFile(join(tmp, '.complete'), JSON.stringify({ hash, files }) + '\n');
        await rm(target, { recursive: true, force: true });
        await rename(tmp, target);
      } catch (err) {
        await rm(tmp, { recursive: true, force: true });
        // Another save of the same content won the rename: that copy is as good as ours.
        if (!(await exists(join(target, '.complete')))) throw new PlugwayError('PLW_ERR_STATE_WRITE', { file: target, reason: reasonOf(err) });
      }
    }
    return { hash, candidate: this.candidateFor(id, hash, layout), layout, files, existed };
  }

  candidateFor(id: string, hash: string, layout: KeptVersion['layout']): PluginFilesSource {
    const dir = this.dirOf(id, hash);
    return layout.kind === 'dir' ? { dir } : { manifestFile: join(dir, layout.manifest), entryFile: join(dir, layout.entry) };
  }

  async index(id: string): Promise<VersionIndex> {
    try {
      const parsed = JSON.parse(await readFile(join(this.dirOf(id), 'index.json'), 'utf8')) as VersionIndex;
      return { history: Array.isArray(parsed.history) ? parsed.history : [], desired: parsed.desired };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { history: [] };
      throw new PlugwayError('PLW_ERR_STATE_CORRUPT', { file: join(this.dirOf(id), 'index.json'), reason: `${reasonOf(err)}; delete it to start a new history` });
    }
  }

  list(id: string): Promise<KeptVersion[]> {
    return this.index(id).then((i) => i.history);
  }

  /** A kept version by hash, hash prefix (7+ characters) or version string (the most recent with it). */
  async get(id: string, ref: string): Promise<KeptVersion | undefined> {
    const { history } = await this.index(id);
    return history.find((v) => v.hash === ref) ?? history.find((v) => v.version === ref) ?? (ref.length >= 7 ? history.find((v) => v.hash.startsWith(ref)) : undefined);
  }

  /**
   * "The previous version": the most recently active kept version that is not in `exclude` (the
   * active one) and that no automatic rollback rejected.
   */
  async previous(id: string, exclude: readonly string[] = []): Promise<KeptVersion | undefined> {
    return previousOf((await this.index(id)).history, exclude);
  }

  /** Marks a kept version as rejected by an automatic rollback (no-op when it is not in the history). */
  markRejected(id: string, hash: string, reason: string): Promise<void> {
    return this.mutate(id, async (index) => {
      const v = index.history.find((h) => h.hash === hash);
      if (v) v.rejected = { at: new Date().toISOString(), reason };
    });
  }

  /** Records `v` as the newest entry and prunes beyond `keep` (never a hash in `protect` or the desired one). */
  record(id: string, v: Omit<KeptVersion, 'savedAt'>, protect: readonly string[] = []): Promise<KeptVersion[]> {
    return this.mutate(id, async (index) => {
      const { rejected: _cleared, ...fields } = v as KeptVersion;
      const entry: KeptVersion = { ...fields, savedAt: new Date().toISOString() };
      const rest = index.history.filter((h) => h.hash !== v.hash);
      const keepSet = new Set([v.hash, ...protect, ...(index.desired ? [index.desired.hash] : [])]);
      const history = [entry];
      const dropped: KeptVersion[] = [];
      for (const h of rest) {
        if (history.length < this.keep || keepSet.has(h.hash)) history.push(h);
        else dropped.push(h);
      }
      for (const d of dropped) await rm(this.dirOf(id, d.hash), { recursive: true, force: true });
      index.history = history;
      return history;
    });
  }

  /** Removes a snapshot that never served (a version that failed to start), unless it is in the history. */
  async discard(id: string, hash: string): Promise<void> {
    await this.mutate(id, async (index) => {
      if (!index.history.some((h) => h.hash === hash)) await rm(this.dirOf(id, hash), { recursive: true, force: true });
    });
  }

  setDesired(id: string, desired: Omit<DesiredVersion, 'setAt'>): Promise<void> {
    return this.mutate(id, async (index) => {
      index.desired = { ...desired, setAt: new Date().toISOString() };
    });
  }

  async desired(id: string): Promise<DesiredVersion | undefined> {
    return (await this.index(id)).desired;
  }

  /** Read-modify-write of one plugin's index, serialized per plugin (indexes of different plugins are written in parallel). */
  private mutate<T>(id: string, fn: (index: VersionIndex) => Promise<T>): Promise<T> {
    const run = (this.queues.get(id) ?? Promise.resolve()).then(async () => {
      const index = await this.index(id);
      const out = await fn(index);
      await mkdir(this.dirOf(id), { recursive: true });
      await writeFileAtomic(join(this.dirOf(id), 'index.json'), JSON.stringify(index, null, 2) + '\n');
      return out;
    });
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.queues.set(id, settled);
    void settled.then(() => {
      if (this.queues.get(id) === settled) this.queues.delete(id);
    });
    return run;
  }
}
