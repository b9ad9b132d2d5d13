// The file-backed desired state: <state dir>/desired-state.json, written atomically and
// serialized (one write at a time, in call order).

import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PlugwayError, reasonOf } from '../errors.js';
import { removeStaleTemps, writeFileAtomic } from './atomic-write.js';
import type { DesiredState, PluginDesiredState, StateStore } from './types.js';

export const DESIRED_STATE_FILE = 'desired-state.json';

const empty = (): DesiredState => ({ formatVersion: 1, plugins: {} });

export class FileStateStore implements StateStore {
  readonly file: string;
  private state: DesiredState = empty();
  private queue: Promise<void> = Promise.resolve();

  constructor(readonly dir: string) {
    this.file = join(dir, DESIRED_STATE_FILE);
  }

  async load(): Promise<DesiredState> {
    // A kill -9 between a temp file's open and its rename leaves it behind: gone at the next start.
    await removeStaleTemps(this.file).catch(() => undefined);
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return (this.state = empty());
      throw new PlugwayError('PLW_ERR_STATE_CORRUPT', { file: this.file, reason: reasonOf(err) });
    }
    try {
      const parsed = JSON.parse(text) as DesiredState;
      if (!parsed || typeof parsed !== 'object' || typeof parsed.plugins !== 'object' || parsed.plugins === null) {
        throw new Error('expected an object with a "plugins" map');
      }
      this.state = { formatVersion: 1, plugins: parsed.plugins };
      return this.state;
    } catch (err) {
      throw new PlugwayError('PLW_ERR_STATE_CORRUPT', {
        file: this.file,
        reason: `${reasonOf(err)}; fix or delete the file (it holds only enabled/disabled choices)`,
      });
    }
  }

  snapshot(): DesiredState {
    return this.state;
  }

  setEnabled(id: string, enabled: boolean): Promise<void> {
    return this.update(id, { enabled });
  }

  update(id: string, patch: Partial<Omit<PluginDesiredState, 'updatedAt'>>): Promise<void> {
    const prev = this.state.plugins[id];
    const next: PluginDesiredState = { ...prev, ...patch, enabled: patch.enabled ?? prev?.enabled ?? true, updatedAt: new Date().toISOString() };
    this.state = { formatVersion: 1, plugins: { ...this.state.plugins, [id]: next } };
    const snapshot = JSON.stringify(this.state, null, 2) + '\n';
    const write = this.queue.then(async () => {
      try {
        await mkdir(this.dir, { recursive: true });
        await writeFileAtomic(this.file, snapshot);
      } catch (err) {
        throw new PlugwayError('PLW_ERR_STATE_WRITE', { file: this.file, reason: reasonOf(err) });
      }
    });
    this.queue = write.catch(() => undefined);
    return write;
  }
}
