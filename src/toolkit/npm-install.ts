// `plugway plugin install npm:<package>[@range]`: a plugin published to an npm registry. The tarball
// is checked against dist.integrity (and a plugway signature when keys are trusted), must hold
// plugin.yaml at its root, gets its npm dependencies installed into its own folder with scripts off
// (packages that want install scripts are refused unless allowed), is audited when the registry
// answers, then goes through the same checks and atomic rename as any other install.

import { spawn } from 'node:child_process';
import type { KeyObject } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isPlugwayError, PlugwayError, reasonOf } from '../errors.js';
import { admitStaged, stagingDir, type InstallResult } from './install.js';
import { installScriptsOf, NpmRegistry, parseNpmSpec } from './npm-registry.js';
import { safeExtract } from './safe-extract.js';
import { verifyPackage } from './signing.js';

export interface NpmInstallOptions {
  pluginsDir: string;
  registry: string;
  trustedKeys?: readonly KeyObject[];
  /** The detached plugway signature (.sig) of the exact tarball the registry serves. */
  signature?: string;
  force?: boolean;
  /** Run install scripts of the package and its dependencies (refused otherwise). */
  allowScripts?: boolean;
  /** Ask the registry for `npm audit` of the dependency tree (default true). */
  audit?: boolean;
  /** One line per step (the CLI's --log-level debug). */
  debug?: (line: string) => void;
}

export interface AuditReport {
  /** false when the registry did not answer the audit (the install goes on; the reason says why). */
  available: boolean;
  vulnerabilities?: Record<string, number>;
  total?: number;
  reason?: string;
}

export interface NpmInstallResult extends InstallResult {
  package: string;
  integrity: string;
  dependencies: number;
  audit: AuditReport | null;
}

/** Runs npm in `dir`; resolves with its output, rejects with PLW_ERR_NPM_FAILED (or returns it when `tolerate`). */
function npm(args: string[], dir: string, tolerate = false): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(process.platform === 'win32' ? 'npm.cmd' : 'npm', args, {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (err) => reject(new PlugwayError('PLW_ERR_NPM_FAILED', { command: args[0], dir, code: 'spawn', output: `${reasonOf(err)}; is npm on PATH?` })));
    child.on('close', (code) => {
      if (code === 0 || tolerate) resolveRun({ code: code ?? 1, stdout, stderr });
      else reject(new PlugwayError('PLW_ERR_NPM_FAILED', { command: args.join(' '), dir, code: code ?? 'signal', output: (stderr || stdout).trim().split('\n').slice(-12).join('\n') }));
    });
  });
}

/** Packages of the installed tree whose install scripts were skipped (npm marks them in its hidden lockfile). */
function scriptedDependencies(dir: string): string[] {
  const lock = join(dir, 'node_modules', '.package-lock.json');
  if (!existsSync(lock)) return [];
  const doc = JSON.parse(readFileSync(lock, 'utf8')) as { packages?: Record<string, { version?: string; hasInstallScript?: boolean }> };
  return Object.entries(doc.packages ?? {})
    .filter(([, p]) => p.hasInstallScript)
    .map(([path, p]) => `${path.replace(/^.*node_modules\//, '')}@${p.version ?? '?'}`);
}

async function audit(dir: string, registry: string): Promise<AuditReport> {
  const r = await npm(['audit', '--json', '--omit=dev', `--registry=${registry}`], dir, true);
  try {
    const doc = JSON.parse(r.stdout) as { error?: { summary?: string; code?: string }; message?: string; metadata?: { vulnerabilities?: Record<string, number> } };
    const v = doc.metadata?.vulnerabilities;
    if (v) {
      const { total, ...levels } = v;
      return { available: true, vulnerabilities: levels, total: total ?? Object.values(levels).reduce((a, b) => a + b, 0) };
    }
    return { available: false, reason: doc.error?.summary ?? doc.message ?? `npm audit exited with ${r.code}` };
  } catch {
    return { available: false, reason: (r.stderr || r.stdout).trim().split('\n').pop() ?? `npm audit exited with ${r.code}` };
  }
}

export async function installNpmPlugin(spec: string, options: NpmInstallOptions): Promise<NpmInstallResult> {
  const debug = options.debug ?? (() => undefined);
  const { name, range } = parseNpmSpec(spec);
  const registry = new NpmRegistry(options.registry);
  const v = registry.pick(await registry.packument(name), range);
  const label = `${v.name}@${v.version}`;
  debug(`npm: ${name}@${range} → ${label} (${v.dist.tarball})`);
  const own = installScriptsOf(v);
  if (own.length && !options.allowScripts) throw new PlugwayError('PLW_ERR_INSTALL_SCRIPTS', { name: v.name, version: v.version, scripts: `its ${own.join(', ')}` });
  const data = await registry.tarball(v);
  debug(`npm: ${label}: ${data.length} bytes, ${v.dist.integrity ? 'dist.integrity' : 'dist.shasum'} verified`);

  const temp = stagingDir(options.pluginsDir);
  try {
    const tgz = join(temp, `${v.name.replace('/', '-')}-${v.version}.tgz`);
    writeFileSync(tgz, data);
    let signedBy: string | undefined;
    if (options.trustedKeys && options.trustedKeys.length > 0) {
      if (!options.signature) {
        throw Object.assign(new PlugwayError('PLW_ERR_SIGNATURE_MISSING', { file: label }), {
          message: `npm package ${label} comes with no plugway signature, and this host only installs packages signed by a trusted key; pass --signature <file>.tgz.sig (plugway plugin sign of the tarball published with npm publish <file>.tgz)`,
        });
      }
      signedBy = verifyPackage(tgz, options.trustedKeys, options.signature).keyId;
    }
    const unpacked = join(temp, 'unpacked');
    await safeExtract(tgz, unpacked);
    // npm tarballs hold one top folder, "package/" by convention
    const tops = readdirSync(unpacked);
    const staged = tops.length === 1 ? join(unpacked, tops[0]!) : unpacked;
    if (!existsSync(join(staged, 'plugin.yaml'))) throw new PlugwayError('PLW_ERR_NPM_NOT_A_PLUGIN', { name: v.name, version: v.version });

    const pkg = JSON.parse(readFileSync(join(staged, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    const deps = Object.keys(pkg.dependencies ?? {}).length;
    let report: AuditReport | null = null;
    if (deps > 0) {
      debug(`npm: installing ${deps} dependenc${deps === 1 ? 'y' : 'ies'} of ${label} into its folder (scripts off)`);
      // npm resolves devDependencies even with --omit=dev: the author's build tools (and a file: link
      // to their plugway) need not exist here, so npm sees the package without them
      const original = readFileSync(join(staged, 'package.json'));
      const { devDependencies: _dev, ...runtimeOnly } = JSON.parse(original.toString('utf8')) as Record<string, unknown>;
      writeFileSync(join(staged, 'package.json'), JSON.stringify(runtimeOnly, null, 2));
      try {
        await npm(['install', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', `--registry=${registry.url}`], staged);
        const scripted = scriptedDependencies(staged);
        if (scripted.length) {
          if (!options.allowScripts) throw new PlugwayError('PLW_ERR_INSTALL_SCRIPTS', { name: v.name, version: v.version, scripts: `its dependencies ${scripted.join(', ')}` });
          debug(`npm: running the install scripts of ${scripted.join(', ')} (--allow-scripts)`);
          // npm ≥ 11.19 also gates dependencies' scripts: package.json's allowScripts names which may run
          const allowScripts = Object.fromEntries(scripted.map((s) => [s.replace(/@[^@]*$/, ''), true]));
          writeFileSync(join(staged, 'package.json'), JSON.stringify({ ...runtimeOnly, allowScripts }, null, 2));
          await npm(['rebuild', '--foreground-scripts'], staged);
        }
        if (options.audit !== false) {
          report = await audit(staged, registry.url);
          debug(`npm: audit ${report.available ? `${report.total} vulnerabilities` : `not available: ${report.reason}`}`);
        }
      } finally {
        writeFileSync(join(staged, 'package.json'), original);
      }
    }
    rmSync(tgz);
    const r = await admitStaged(staged, temp, label, options);
    return { ...r, ...(signedBy ? { signedBy } : {}), package: label, integrity: v.dist.integrity ?? `sha1-${v.dist.shasum}`, dependencies: deps, audit: report };
  } catch (err) {
    if (isPlugwayError(err)) throw err;
    throw new PlugwayError('PLW_ERR_INSTALL_FAILED', { file: label, reason: reasonOf(err) }, { cause: err });
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}
