// A reload never serves stale code: when a plugin's sources are newer than its built entry, the
// plugin is rebuilt (it has the build.mjs plugway scaffolds) or the reload is refused with a code
// that says to build first. Also the entry's own hash, kept in the version history beside the version.

import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import type { Logger } from 'pino';
import { PlugwayError } from '../errors.js';
import type { DiskCandidate } from './loader.js';

/** The newest file under `dir` (node_modules and dot entries left out). */
async function newestUnder(dir: string): Promise<{ file: string; mtimeMs: number } | undefined> {
  let best: { file: string; mtimeMs: number } | undefined;
  const walk = async (d: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.name.startsWith('.') || e.name === 'node_modules') continue;
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) {
        const m = (await stat(p)).mtimeMs;
        if (!best || m > best.mtimeMs) best = { file: p, mtimeMs: m };
      }
    }
  };
  await walk(dir);
  return best;
}

export interface Staleness {
  /** The source newer than the entry (relative to the plugin folder). */
  source: string;
  /** The built entry (relative). */
  entry: string;
}

/**
 * Whether the entry is older than a source under src/ (or build.mjs). Only a built entry can be stale:
 * one under src/ (a .ts loaded as is) or a plugin without src/ never is. A missing entry is the loader's error.
 */
export async function staleBuild(dir: string, entryPath: string): Promise<Staleness | undefined> {
  const src = join(dir, 'src');
  if (entryPath.startsWith(src + sep) || !existsSync(src)) return undefined;
  const entry = await stat(entryPath).catch(() => undefined);
  if (!entry) return undefined;
  const candidates = [await newestUnder(src)];
  const script = join(dir, 'build.mjs');
  const s = await stat(script).catch(() => undefined);
  if (s) candidates.push({ file: script, mtimeMs: s.mtimeMs });
  const newest = candidates.filter((c) => c !== undefined).sort((a, b) => b.mtimeMs - a.mtimeMs)[0];
  if (!newest || newest.mtimeMs <= entry.mtimeMs) return undefined;
  return { source: relative(dir, newest.file), entry: relative(dir, entryPath) };
}

/** How the operator builds this plugin (for the refusal's message). */
function buildCommandOf(dir: string): string {
  try {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { scripts?: Record<string, string> };
    if (pkg.scripts?.build) return `npm run build in ${dir}`;
  } catch {
    /* no package.json */
  }
  return `rebuild its entry in ${dir}`;
}

/**
 * Before a reload from `origin`: a stale build is rebuilt with the plugin's build.mjs (what `plugway
 * plugin create` writes, the only build plugway runs on its own), else refused with PLW_ERR_PLUGIN_BUILD_STALE.
 * `entryPath` is the entry as the manifest on disk names it.
 */
export async function ensureFreshBuild(id: string, origin: DiskCandidate, entryPath: string | undefined, logger?: Logger): Promise<{ rebuilt: boolean; durationMs?: number }> {
  if (!('dir' in origin) || !entryPath) return { rebuilt: false };
  const stale = await staleBuild(origin.dir, entryPath);
  if (!stale) return { rebuilt: false };
  if (!existsSync(join(origin.dir, 'build.mjs'))) {
    throw new PlugwayError('PLW_ERR_PLUGIN_BUILD_STALE', { id, source: stale.source, entry: stale.entry, build: buildCommandOf(origin.dir) });
  }
  logger?.info({ plugin_id: id, source: stale.source, entry: stale.entry }, `${stale.source} is newer than ${stale.entry}: building ${id} before the reload`);
  const { buildPlugin } = await import('../toolkit/build.js'); // the toolkit loads when a build is due, not at every start-up
  const r = await buildPlugin(origin.dir, { entry: stale.entry, force: true });
  return { rebuilt: true, durationMs: Math.round(r.durationMs) };
}

/** The entry file's path (relative to the plugin's root) and sha256, for the version history. */
export async function entryFacts(root: string, entryPath: string | undefined): Promise<{ entry?: string; entryHash?: string }> {
  if (!entryPath) return {};
  try {
    const data = await readFile(entryPath);
    return { entry: relative(root, entryPath).split(sep).join('/'), entryHash: createHash('sha256').update(data).digest('hex') };
  } catch {
    return {};
  }
}

/** The root a kept layout's relative paths start from. */
export function rootOf(c: DiskCandidate): string {
  return 'dir' in c ? c.dir : dirname(c.manifestFile);
}
