// `plugway plugin pack`: a .tgz with the manifest, the built entry (and its folder), the README,
// the fixtures and integrity.json (sha256 of every file). Builds first when the output is stale.

import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve, sep } from 'node:path';
import * as tar from 'tar';
import { parse as parseYaml } from 'yaml';
import { PlugwayError } from '../errors.js';
import { checkEntry, loadManifestFromDir, manifestError } from '../manifest/index.js';
import type { PluginManifest } from '../manifest/types.js';
import { buildPlugin } from './build.js';
import { INTEGRITY_FILE, listFiles, sha256Hex, writeIntegrity } from './integrity.js';

export interface PackOptions {
  /** Output file; default <dir>/<id>-<version>.tgz. */
  out?: string;
  /** Run build.mjs when the entry is stale (default true). */
  build?: boolean;
}

export interface PackResult {
  file: string;
  id: string;
  version: string;
  files: string[];
  bytes: number;
  sha256: string;
}

const OPTIONAL_FILES = ['README.md', 'fixtures.json', 'fixtures.yaml', 'fixtures.yml', 'package.json', 'LICENSE'];

/** runtime.entry as written, read leniently: the full check refuses a manifest whose entry is not built yet. */
function declaredEntry(dir: string): string | undefined {
  try {
    const raw = parseYaml(readFileSync(join(dir, 'plugin.yaml'), 'utf8')) as { runtime?: { entry?: unknown } };
    return typeof raw?.runtime?.entry === 'string' ? raw.runtime.entry : undefined;
  } catch {
    return undefined;
  }
}

/** The manifest of the plugin in `dir`, building it first when asked; throws the manifest's errors. */
export async function loadBuiltManifest(dir: string, build = true): Promise<{ manifest: PluginManifest; manifestFile: string; entryPath: string }> {
  if (build) {
    // the manifest check fails on a missing entry, so read the declared entry before building
    await buildPlugin(dir, { entry: declaredEntry(dir) });
  }
  const r = await loadManifestFromDir(dir);
  if (r.manifest && r.errors.length === 0) r.errors.push(...(await checkEntry(r)));
  if (!r.manifest || r.errors.length) throw manifestError(r);
  if (!r.entryPath) {
    throw new PlugwayError('PLW_ERR_ENTRY_NOT_FOUND', { id: r.manifest.id, entry: r.manifest.runtime.entry ?? '(default)', file: r.source.file ?? dir });
  }
  return { manifest: r.manifest, manifestFile: r.source.file ?? join(dir, 'plugin.yaml'), entryPath: r.entryPath };
}

/** What goes in the package: the manifest, the entry's whole output folder (or the entry alone at the top), extras. */
function packageFiles(dir: string, manifestFile: string, entryPath: string): string[] {
  const files = new Set<string>([relative(dir, manifestFile)]);
  const entryRel = relative(dir, entryPath);
  if (entryRel.startsWith('..')) throw new PlugwayError('PLW_ERR_PACKAGE_INVALID', { file: dir, reason: `entry ${entryPath} is outside the plugin folder` });
  const top = entryRel.split(sep)[0]!;
  if (top !== entryRel && top !== 'src' && statSync(join(dir, top)).isDirectory()) {
    for (const f of listFiles(join(dir, top))) files.add(`${top}/${f}`);
  } else {
    files.add(entryRel.split(sep).join('/'));
  }
  for (const f of OPTIONAL_FILES) if (existsSync(join(dir, f))) files.add(f);
  return [...files].sort();
}

export async function packPlugin(dirArg: string, options: PackOptions = {}): Promise<PackResult> {
  const dir = resolve(dirArg);
  const { manifest, manifestFile, entryPath } = await loadBuiltManifest(dir, options.build !== false);
  const files = packageFiles(dir, manifestFile, entryPath);
  const out = resolve(options.out ?? join(dir, `${manifest.id}-${manifest.version}.tgz`));

  // Stage a copy so that integrity.json is computed over exactly what is archived.
  const stage = mkdtempSync(join(tmpdir(), 'plugway-pack-'));
  try {
    for (const f of files) cpSync(join(dir, f), join(stage, f));
    writeIntegrity(stage, files);
    await tar.c({ gzip: true, file: out, cwd: stage, portable: true, noDirRecurse: true }, [...files, INTEGRITY_FILE]);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
  const bytes = readFileSync(out);
  return { file: out, id: manifest.id, version: manifest.version, files: [...files, INTEGRITY_FILE], bytes: bytes.length, sha256: sha256Hex(bytes) };
}
