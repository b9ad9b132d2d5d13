// plugway as a user gets it: `npm pack` of this checkout, installed with `npm install -g` into a
// temporary prefix. npm only talks to loopback registries here (test/helpers/npm-mirror.ts, or
// Verdaccio): its registry, cache and user config are the test's own.
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CHECKOUT = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of a child: no PLUGWAY_* of the test's own, npm settings for a loopback registry. */
export function npmEnv(work: string, registry: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PLUGWAY_') && !k.startsWith('npm_') && k !== 'NODE_OPTIONS') env[k] = v;
  mkdirSync(work, { recursive: true });
  const userconfig = join(work, 'npmrc');
  writeFileSync(userconfig, '');
  return {
    ...env,
    npm_config_registry: registry,
    npm_config_cache: join(work, 'npm-cache'),
    npm_config_userconfig: userconfig,
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
    ...extra,
  };
}

/** Runs a command to its end; never throws on a non-zero exit (the test asserts it). */
export function run(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `npm pack` of the checkout into `dest`; returns the tarball's path. */
export async function packCheckout(dest: string, env: NodeJS.ProcessEnv): Promise<string> {
  mkdirSync(dest, { recursive: true });
  const r = await run('npm', ['pack', '--pack-destination', dest], { cwd: CHECKOUT, env });
  if (r.code !== 0) throw new Error(`npm pack failed (${r.code}): ${r.stderr}`);
  const tgz = readdirSync(dest).find((f) => /^plugway-.*\.tgz$/.test(f));
  if (!tgz) throw new Error(`npm pack wrote no plugway-*.tgz into ${dest}: ${r.stdout}`);
  return join(dest, tgz);
}

/** `npm install -g --prefix <prefix> <tgz>`; returns the installed `plugway` command and package folder. */
export async function installGlobally(tgz: string, prefix: string, env: NodeJS.ProcessEnv): Promise<{ bin: string; pkg: string }> {
  const r = await run('npm', ['install', '-g', '--prefix', prefix, tgz], { cwd: prefix.replace(/\/[^/]+$/, ''), env });
  if (r.code !== 0) throw new Error(`npm install -g failed (${r.code}): ${r.stderr}`);
  return { bin: join(prefix, 'bin', 'plugway'), pkg: join(prefix, 'lib', 'node_modules', 'plugway') };
}
