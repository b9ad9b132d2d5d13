// The running versions' first copies in the version store: taken in the background once versions are
// kept (off the path to listening), from the bytes the loader read, and at once for a plugin that a
// release is about to replace.

import { join, relative } from 'node:path';
import type { Logger } from 'pino';
import { reasonOf } from '../../errors.js';
import type { KeptVersion, VersionStore } from '../../state/versions.js';
import { entryFacts, rootOf } from '../build-freshness.js';
import type { DiskCandidate } from '../loader.js';
import type { PluginRecord, Registry } from '../registry.js';

export type KeptFacts = Pick<KeptVersion, 'files' | 'layout' | 'entry' | 'entryHash'>;

export interface RunningCopiesDeps {
  registry: Registry;
  logger: Logger;
  /** Where `rec` is read from on disk (undefined: given in code, nothing to keep). */
  sourceOf(rec: PluginRecord): DiskCandidate | undefined;
  /** The content hash of what `rec` runs, when known. */
  knownHash(rec: PluginRecord): string | undefined;
  /** `rec`'s files are kept as `hash`. */
  kept(rec: PluginRecord, hash: string, facts: KeptFacts): void;
}

/** Copies taken 8 at a time: 1,000 plugins copied one by one took 12 s, and awaited before listening 2-4 s. */
const CONCURRENCY = 8;

export class RunningCopies {
  private store?: VersionStore;
  private readonly keeping = new WeakMap<PluginRecord, Promise<void>>();
  private all: Promise<void> = Promise.resolve();
  private stopping = false;

  constructor(private readonly deps: RunningCopiesDeps) {}

  /** Keeps every running disk plugin's version in `store`, in the background. */
  start(store: VersionStore): void {
    this.store = store;
    const queue = this.deps.registry.list().filter((rec) => rec.state !== 'failed' && this.deps.sourceOf(rec));
    const worker = async (): Promise<void> => {
      for (let rec = queue.shift(); rec && !this.stopping; rec = queue.shift()) await this.keep(rec);
    };
    this.all = Promise.all(Array.from({ length: Math.min(CONCURRENCY, queue.length) }, worker)).then(() => undefined);
  }

  /**
   * Copies `rec`'s files into the store once: the bytes the loader read (rec.files), so a copy taken
   * after the files changed on disk still holds the running version. A plugin too large to hold is
   * copied from disk and checked against the hash read then: changed files are not kept under its version.
   */
  keep(rec: PluginRecord): Promise<void> {
    const store = this.store;
    const origin = this.deps.sourceOf(rec);
    if (!store || !origin) return Promise.resolve();
    let p = this.keeping.get(rec);
    if (!p) {
      p = this.copy(store, rec, origin);
      this.keeping.set(rec, p);
    }
    return p;
  }

  /** Resolves when `id`'s running version is kept (without `id`: every version start found). */
  whenKept(id?: string): Promise<void> {
    if (id === undefined) return this.all;
    const rec = this.deps.registry.get(id);
    return rec ? this.keep(rec) : Promise.resolve();
  }

  /** No new copies; resolves when the ones being taken are done. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.all;
  }

  private async copy(store: VersionStore, rec: PluginRecord, origin: DiskCandidate): Promise<void> {
    const read = rec.files;
    const known = this.deps.knownHash(rec);
    try {
      const saved = await store.save(rec.id, origin, { known, contents: read?.contents });
      if (known && saved.hash !== known) {
        if (!saved.existed) await store.discard(rec.id, saved.hash);
        this.deps.logger.warn(
          { plugin_id: rec.id, version: rec.version },
          `the files of ${rec.id} changed on disk since ${rec.version} was loaded: that version is not kept (a reload serves the new files)`,
        );
        return;
      }
      const kept = rootOf(saved.candidate);
      const entryPath = rec.entryPath ? join(kept, relative(rootOf(origin), rec.entryPath)) : undefined;
      const facts = { files: saved.files, layout: saved.layout, ...(await entryFacts(kept, entryPath)) };
      this.deps.kept(rec, saved.hash, facts);
      if (!(await store.get(rec.id, saved.hash))) await store.record(rec.id, { hash: saved.hash, version: rec.version, ...facts });
    } catch (err) {
      this.deps.logger.warn({ plugin_id: rec.id, err: { message: reasonOf(err) } }, 'could not keep the running version in the state dir');
    } finally {
      if (read?.contents) rec.files = { hash: read.hash }; // kept (or not keepable): the bytes go
    }
  }
}
