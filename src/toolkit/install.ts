// `plugway plugin install`: signature (when keys are trusted), integrity, manifest, engine range and
// dependencies are checked on an extracted copy inside the plugins folder, then one rename puts it
// in place. Whatever fails, the temporary copy is removed and the plugins folder is as it was.

import type { KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import semver from 'semver';
import { isPlugwayError, PlugwayError, reasonOf } from '../errors.js';
import { loadManifestFromDir, manifestError } from '../manifest/index.js';
import type { PluginManifest } from '../manifest/types.js';
import { PLUGWAY_VERSION } from '../version.js';
import { verifyIntegrity } from './integrity.js';
import { packPlugin } from './pack.js';
import { DEFAULT_LIMITS, safeExtract } from './safe-extract.js';
import { verifyPackage } from './signing.js';

export interface InstallOptions {
  pluginsDir: string;
  /** Trusted signing keys; when any, the package must carry a signature by one of them. */
  trustedKeys?: readonly KeyObject[];
  /** Replace an installed plugin with the same id. */
  force?: boolean;
  /** plugway's version to check `engine` against (default: this one). */
  plugwayVersion?: string;
  /**
   * Leave the dependency check to the host that loads it (cluster deploys: the plugins it needs may
   * live in another of the node's folders).
   */
  skipDependencyCheck?: boolean;
}

export interface InstallResult {
  id: string;
  version: string;
  path: string;
  /** Key id of the signature that verified, when one was required. */
  signedBy?: string;
  replaced?: string;
}

/** id → version of every plugin installed in `dir` (<dir>/<plugin>/plugin.yaml; dot folders are in-flight installs). */
export async function installedPlugins(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (!existsSync(dir)) return out;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (!e.isDirectory() || e.name.startsWith('.')) continue;
    const r = await loadManifestFromDir(join(dir, e.name));
    if (r.manifest) out.set(r.manifest.id, r.manifest.version);
  }
  return out;
}

function checkEngine(m: PluginManifest, version: string): void {
  if (!semver.satisfies(version, m.engine, { includePrerelease: true })) {
    throw new PlugwayError('PLW_ERR_ENGINE_MISMATCH', { id: m.id, range: m.engine, version });
  }
}

async function checkDependencies(m: PluginManifest, pluginsDir: string): Promise<void> {
  const installed = await installedPlugins(pluginsDir);
  for (const dep of m.dependencies) {
    if (dep.optional) continue;
    const have = installed.get(dep.id);
    if (have === undefined) throw new PlugwayError('PLW_ERR_DEPENDENCY_MISSING', { id: m.id, dependency: dep.id, range: dep.range });
    if (!semver.satisfies(have, dep.range, { includePrerelease: true })) {
      throw new PlugwayError('PLW_ERR_DEPENDENCY_VERSION', { id: m.id, dependency: dep.id, range: dep.range, version: have });
    }
  }
}

/** A temporary folder inside the plugins folder: same filesystem as the target, so the final rename is atomic. */
export function stagingDir(pluginsDir: string): string {
  mkdirSync(pluginsDir, { recursive: true });
  return mkdtempSync(join(resolve(pluginsDir), '.install-'));
}

/**
 * Checks an unpacked plugin in `staged` (inside `temp`, a stagingDir) — manifest, engine range,
 * plugin dependencies — and renames it into <plugins>/<id>; a replaced one goes to `temp`, which
 * the caller removes. `label` names the package in errors.
 */
export async function admitStaged(staged: string, temp: string, label: string, options: InstallOptions): Promise<InstallResult> {
  const pluginsDir = resolve(options.pluginsDir);
  const r = await loadManifestFromDir(staged);
  if (!r.manifest || r.errors.length) {
    // paths inside the package, not in the temporary copy that is gone when the user reads this
    const reason = manifestError(r).message.split(`${staged}${sep}`).join('').split(staged).join('.');
    throw new PlugwayError('PLW_ERR_PACKAGE_INVALID', { file: label, reason });
  }
  const m = r.manifest;
  checkEngine(m, options.plugwayVersion ?? PLUGWAY_VERSION);
  if (!options.skipDependencyCheck) await checkDependencies(m, pluginsDir);

  const target = join(pluginsDir, m.id);
  let old: string | undefined;
  if (existsSync(target)) {
    if (!options.force) throw new PlugwayError('PLW_ERR_ALREADY_INSTALLED', { id: m.id, version: m.version, path: target });
    old = join(temp, 'previous');
    renameSync(target, old);
  }
  try {
    renameSync(staged, target);
  } catch (err) {
    if (old) renameSync(old, target);
    throw err;
  }
  return { id: m.id, version: m.version, path: target, ...(old ? { replaced: target } : {}) };
}

async function installTgz(pkg: string, options: InstallOptions): Promise<InstallResult> {
  let signedBy: string | undefined;
  // One read: the bytes whose signature is checked are the ones extracted (issue 23: a file swapped
  // between a hash and tar's own reads installed unsigned code).
  if (statSync(pkg).size > DEFAULT_LIMITS.maxBytes) throw new PlugwayError('PLW_ERR_PACKAGE_INVALID', { file: pkg, reason: `larger than ${DEFAULT_LIMITS.maxBytes} bytes` });
  const bytes = readFileSync(pkg);
  if (options.trustedKeys && options.trustedKeys.length > 0) signedBy = verifyPackage(pkg, options.trustedKeys, undefined, bytes).keyId;

  // the package goes one level down so that a host scanning <dir>/*/plugin.yaml never sees a half-checked plugin
  const temp = stagingDir(options.pluginsDir);
  const staged = join(temp, 'package');
  try {
    await safeExtract(bytes, staged, undefined, pkg);
    verifyIntegrity(staged, pkg);
    const r = await admitStaged(staged, temp, pkg, options);
    return { ...r, ...(signedBy ? { signedBy } : {}) };
  } catch (err) {
    if (isPlugwayError(err)) throw err;
    throw new PlugwayError('PLW_ERR_INSTALL_FAILED', { file: pkg, reason: reasonOf(err) }, { cause: err });
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

/** Installs a .tgz, or a plugin folder (packed first, so it goes through the same checks). */
export async function installPlugin(source: string, options: InstallOptions): Promise<InstallResult> {
  const abs = resolve(source);
  if (!existsSync(abs)) throw new PlugwayError('PLW_ERR_CLI_USAGE', { reason: `${source} does not exist; give a .tgz made by plugway plugin pack, or a plugin folder` });
  if (!statSync(abs).isDirectory()) return installTgz(abs, options);
  if (options.trustedKeys && options.trustedKeys.length > 0) {
    // a folder carries no signature: with trusted keys only signed packages get in
    throw new PlugwayError('PLW_ERR_SIGNATURE_MISSING', { file: abs });
  }
  const tmp = mkdtempSync(join(tmpdir(), 'plugway-install-'));
  try {
    const packed = await packPlugin(abs, { out: join(tmp, 'plugin.tgz') });
    return await installTgz(packed.file, options);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
