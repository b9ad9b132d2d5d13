// Extracts a package .tgz without trusting it: only regular files and folders, no absolute paths,
// no `..`, no links or devices, bounded size and entry count. Anything else refuses the whole package.
// It works on bytes already in memory: the ones whose signature was checked are the ones listed and
// extracted (reading the file again would let it be swapped in between).

import { mkdirSync, readFileSync } from 'node:fs';
import { once } from 'node:events';
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

/** Feeds `bytes` to a tar list or extract stream and waits for it to finish. */
async function feed(stream: NodeJS.WritableStream & NodeJS.EventEmitter, bytes: Buffer): Promise<void> {
  const done = Promise.race([once(stream, 'close'), once(stream, 'finish').then(() => once(stream, 'end').catch(() => undefined)), once(stream, 'error').then(([e]) => Promise.reject(e))]);
  stream.end(bytes);
  await done;
}

/**
 * Lists the archive first and refuses it on any unsafe entry; then extracts into `dest`. `source` is
 * the package's bytes (or a file read once here); `label` names it in errors.
 */
export async function safeExtract(source: string | Buffer, dest: string, limits: ExtractLimits = DEFAULT_LIMITS, label = typeof source === 'string' ? source : 'package'): Promise<void> {
  const file = label;
  const bytes = typeof source === 'string' ? readFileSync(source) : source;
  let entries = 0;
  let unpacked = 0;
  let problem: string | undefined;
  try {
    await feed(
      tar.t({
        strict: true,
        onReadEntry(entry) {
          entries++;
          unpacked += entry.size ?? 0;
          problem ??= badEntry(entry.path, entry.type);
          if (entries > limits.maxEntries) problem ??= `more than ${limits.maxEntries} entries`;
          if (unpacked > limits.maxBytes) problem ??= `more than ${limits.maxBytes} bytes unpacked`;
          entry.resume();
        },
      }) as never,
      bytes,
    );
  } catch (err) {
    throw new PlugwayError('PLW_ERR_PACKAGE_INVALID', { file, reason: `not a readable .tgz: ${(err as Error).message}` });
  }
  if (problem) throw new PlugwayError('PLW_ERR_PACKAGE_INVALID', { file, reason: problem });
  if (entries === 0) throw new PlugwayError('PLW_ERR_PACKAGE_INVALID', { file, reason: 'the archive is empty' });

  mkdirSync(dest, { recursive: true });
  // The filter is a second line of defence: the same bytes are read, but the checks stay next to the writes.
  const x = tar.x({
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
  await feed(x as never, bytes);
}
