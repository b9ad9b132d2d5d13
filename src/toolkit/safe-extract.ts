// Extracts a package .tgz without trusting it: only regular files and folders, no absolute paths,
// no `..`, no links or devices, bounded size and entry count. Anything else refuses the whole package.

import { mkdirSync } from 'node:fs';
import { posix } from 'node:path';
import * as tar from 'tar';
import { PlugwayError } from '../errors.js';

export interface ExtractLimits {
  maxEntries: number;
  maxBytes: number;
}

export const DEFAULT_LIMITS: ExtractLimits = { maxEntries: 10_000, maxBytes: 256 * 1024 * 1024 };

function badEntry(path: string, type: string): string | undefined {
  if (type !== 'File' && type !== 'OldFile' && type !== 'Directory') return `entry ${path} is a ${type}; packages may hold only files and folders`;
  if (path.startsWith('/') || /^[a-zA-Z]:/.test(path) || path.includes('\\')) return `entry ${path} has an absolute or non-POSIX path`;
  const norm = posix.normalize(path);
  if (norm === '..' || norm.startsWith('../') || path.split('/').includes('..')) return `entry ${path} points outside the package`;
  return undefined;
}

/** Lists the archive first and refuses it on any unsafe entry; then extracts into `dest`. */
export async function safeExtract(file: string, dest: string, limits: ExtractLimits = DEFAULT_LIMITS): Promise<void> {
  let entries = 0;
  let bytes = 0;
  let problem: string | undefined;
  try {
    await tar.t({
      file,
      strict: true,
      onReadEntry(entry) {
        entries++;
        bytes += entry.size ?? 0;
        problem ??= badEntry(entry.path, entry.type);
        if (entries > limits.maxEntries) problem ??= `more than ${limits.maxEntries} entries`;
        if (bytes > limits.maxBytes) problem ??= `more than ${limits.maxBytes} bytes unpacked`;
        entry.resume();
      },
    });
  } catch (err) {
    throw new PlugwayError('PLW_ERR_PACKAGE_INVALID', { file, reason: `not a readable .tgz: ${(err as Error).message}` });
  }
  if (problem) throw new PlugwayError('PLW_ERR_PACKAGE_INVALID', { file, reason: problem });
  if (entries === 0) throw new PlugwayError('PLW_ERR_PACKAGE_INVALID', { file, reason: 'the archive is empty' });

  mkdirSync(dest, { recursive: true });
  // The filter is a second line of defence should the archive differ between the two reads.
  await tar.x({
    file,
    cwd: dest,
    strict: true,
    preservePaths: false,
    preserveOwner: false,
    noChmod: true,
    filter: (path, entry) => {
      const type = 'type' in entry ? entry.type : 'File';
      return badEntry(path, type) === undefined;
    },
  });
}
