// The admin API's bearer token: PLUGWAY_ADMIN_TOKEN (or a file descriptor, PLUGWAY_ADMIN_TOKEN_FD),
// else the config, else one generated at first start into <state dir>/admin-token (mode 0600) and
// reported once so serve can print it. A token plugin code can read from the process environment
// (process.env, /proc/self/environ) is found here and refused by the admin API.

import { chmod, mkdir, readFile, stat } from 'node:fs/promises';
import { closeSync, readFileSync } from 'node:fs';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import { writeFileAtomic } from './atomic-write.js';

export const ADMIN_TOKEN_FILE = 'admin-token';

export interface AdminTokenResolution {
  token: string;
  source: 'env' | 'config' | 'file' | 'generated';
  /** The file, for sources file and generated. */
  file?: string;
}

export async function resolveAdminToken(opts: { stateDir: string; configToken?: string; env?: NodeJS.ProcessEnv }): Promise<AdminTokenResolution> {
  const env = opts.env ?? process.env;
  if (env.PLUGWAY_ADMIN_TOKEN) return { token: env.PLUGWAY_ADMIN_TOKEN, source: 'env' };
  const fromFd = takeTokenFromFd(env);
  if (fromFd) return { token: fromFd, source: 'env' };
  if (opts.configToken) return { token: opts.configToken, source: 'config' };
  const file = join(opts.stateDir, ADMIN_TOKEN_FILE);
  try {
    const token = (await readFile(file, 'utf8')).trim();
    if (token) {
      // Tighten a file someone loosened by hand.
      if (((await stat(file)).mode & 0o077) !== 0) await chmod(file, 0o600);
      return { token, source: 'file', file };
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(opts.stateDir, { recursive: true });
  const token = randomBytes(32).toString('base64url');
  await writeFileAtomic(file, token + '\n', 0o600);
  await chmod(file, 0o600);
  return { token, source: 'generated', file };
}

/** Compares a presented token with the expected one in constant time (over sha256 digests). */
export function tokenMatches(presented: string | undefined, expectedDigest: Buffer): boolean {
  const got = createHash('sha256')
    .update(presented ?? '')
    .digest();
  return timingSafeEqual(got, expectedDigest) && presented !== undefined && presented.length > 0;
}

export function tokenDigest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/**
 * PLUGWAY_ADMIN_TOKEN_FD: the token read (once) from a file descriptor the gateway was started
 * with, which is then closed; `plugway serve` hands PLUGWAY_ADMIN_TOKEN over this way to the
 * process it re-executes without it.
 */
let fdToken: string | undefined;
export function takeTokenFromFd(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (fdToken !== undefined) return fdToken || undefined;
  const fd = Number(env.PLUGWAY_ADMIN_TOKEN_FD);
  if (!env.PLUGWAY_ADMIN_TOKEN_FD || !Number.isInteger(fd) || fd < 3) return undefined;
  try {
    fdToken = readFileSync(fd, 'utf8').trim();
  } catch {
    fdToken = '';
  }
  try {
    closeSync(fd);
  } catch {
    /* already closed */
  }
  return fdToken || undefined;
}

/**
 * Where plugin code could read `token` from this process's environment: a process.env variable
 * holding it, or /proc/self/environ (the environment the process was started with, which deleting
 * from process.env does not change). In-process and worker plugins can read both.
 */
export function tokenExposure(token: string): string | undefined {
  if (!token) return undefined;
  for (const [name, value] of Object.entries(process.env)) if (value === token) return `process.env.${name}`;
  let environ: string;
  try {
    environ = readFileSync('/proc/self/environ', 'latin1');
  } catch {
    return undefined;
  }
  for (const entry of environ.split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0 && entry.slice(eq + 1) === token) return `/proc/self/environ (${entry.slice(0, eq)})`;
  }
  return undefined;
}
