// The admin API's bearer token: PLUGWAY_ADMIN_TOKEN, else the config, else one generated at
// first start into <state dir>/admin-token (mode 0600) and reported once so serve can print it.

import { chmod, mkdir, readFile, stat } from 'node:fs/promises';
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

export async function resolveAdminToken(opts: {
  stateDir: string;
  configToken?: string;
  env?: NodeJS.ProcessEnv;
}): Promise<AdminTokenResolution> {
  const env = opts.env ?? process.env;
  if (env.PLUGWAY_ADMIN_TOKEN) return { token: env.PLUGWAY_ADMIN_TOKEN, source: 'env' };
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
  const got = createHash('sha256').update(presented ?? '').digest();
  return timingSafeEqual(got, expectedDigest) && presented !== undefined && presented.length > 0;
}

export function tokenDigest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}
