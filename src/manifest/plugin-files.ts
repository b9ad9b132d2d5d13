// What files make a plugin, and their content hash: the plugin's folder (node_modules and dot
// entries left out), or a single <name>.yaml beside its entry file. Low level: kept versions
// (state/versions.ts), releases (content hashes) and the reload watcher all read plugins through it.

import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, join, relative } from 'node:path';

/** Where a plugin's files are: a folder with plugin.yaml, or a <name>.yaml beside its entry file. */
export type PluginFilesSource = { dir: string } | { manifestFile: string; entryFile: string };

/** 'dir' (plugin.yaml in the folder) or the manifest and entry file names of a single-file plugin. */
export type FileLayout = { kind: 'dir' } | { kind: 'file'; manifest: string; entry: string };

const SKIP = new Set(['node_modules']);
/** Larger plugin folders are refused rather than copied on every reload. */
const MAX_FILES = 2000;

/** The plugin's files, relative to its root, sorted (node_modules and dot entries left out). */
export async function listPluginFiles(src: PluginFilesSource): Promise<{ root: string; files: string[]; layout: FileLayout }> {
  if (!('dir' in src)) {
    const root = dirname(src.manifestFile);
    const manifest = basename(src.manifestFile);
    const entry = relative(root, src.entryFile);
    return { root, files: [manifest, entry].sort(), layout: { kind: 'file', manifest, entry } };
  }
  const files: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    const entries = await readdir(join(src.dir, rel), { withFileTypes: true });
    for (const e of entries) {
      if (e.name.startsWith('.') || SKIP.has(e.name)) continue;
      const p = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) files.push(p);
      if (files.length > MAX_FILES) throw new Error(`${src.dir} has more than ${MAX_FILES} files (outside node_modules); keep build inputs elsewhere`);
    }
  };
  await walk('');
  return { root: src.dir, files: files.sort(), layout: { kind: 'dir' } };
}

/** sha256 over every file's relative path, length and bytes. */
export async function contentHash(root: string, files: readonly string[]): Promise<string> {
  const h = createHash('sha256');
  for (const f of files) {
    const data = await readFile(join(root, f));
    h.update(`${f}\0${data.length}\0`);
    h.update(data);
  }
  return h.digest('hex');
}

export async function hashPluginFiles(src: PluginFilesSource): Promise<string> {
  const { root, files } = await listPluginFiles(src);
  return contentHash(root, files);
}
