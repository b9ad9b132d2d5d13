// integrity.json: the sha256 of every file of a package, written by pack and checked by install.
// A file that is missing, changed, or present without being listed fails the check.

import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { PlugwayError } from '../errors.js';

export const INTEGRITY_FILE = 'integrity.json';

export interface IntegrityDocument {
  format: 'plugway-integrity-v1';
  algorithm: 'sha256';
  /** Relative POSIX path → hex digest. */
  files: Record<string, string>;
}

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Every regular file under `dir`, relative, POSIX-separated, sorted. */
export function listFiles(dir: string, base = dir): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...listFiles(p, base));
    else if (e.isFile()) out.push(relative(base, p).split(sep).join('/'));
    else throw new PlugwayError('PLW_ERR_PACKAGE_INVALID', { file: dir, reason: `${relative(base, p)} is not a regular file (links are not allowed)` });
  }
  return out.sort();
}

export function computeIntegrity(dir: string, files: readonly string[]): IntegrityDocument {
  const doc: IntegrityDocument = { format: 'plugway-integrity-v1', algorithm: 'sha256', files: {} };
  for (const f of [...files].sort()) doc.files[f] = sha256Hex(readFileSync(join(dir, f)));
  return doc;
}

export function writeIntegrity(dir: string, files: readonly string[]): IntegrityDocument {
  const doc = computeIntegrity(dir, files);
  writeFileSync(join(dir, INTEGRITY_FILE), `${JSON.stringify(doc, null, 2)}\n`);
  return doc;
}

/** Checks an unpacked package in `dir`; `label` names it in errors (the .tgz). Throws PLW_ERR_INTEGRITY_MISMATCH / PLW_ERR_PACKAGE_INVALID. */
export function verifyIntegrity(dir: string, label: string): IntegrityDocument {
  let doc: IntegrityDocument;
  try {
    doc = JSON.parse(readFileSync(join(dir, INTEGRITY_FILE), 'utf8')) as IntegrityDocument;
  } catch (err) {
    throw new PlugwayError('PLW_ERR_PACKAGE_INVALID', { file: label, reason: `no readable ${INTEGRITY_FILE} (${(err as Error).message}); make it with plugway plugin pack` });
  }
  if (doc?.format !== 'plugway-integrity-v1' || doc.algorithm !== 'sha256' || typeof doc.files !== 'object' || doc.files === null) {
    throw new PlugwayError('PLW_ERR_PACKAGE_INVALID', { file: label, reason: `${INTEGRITY_FILE} is not a plugway-integrity-v1 sha256 document` });
  }
  const present = listFiles(dir).filter((f) => f !== INTEGRITY_FILE);
  for (const f of present) {
    if (!(f in doc.files)) throw new PlugwayError('PLW_ERR_INTEGRITY_MISMATCH', { file: label, entry: `${f} (not listed in ${INTEGRITY_FILE})` });
  }
  for (const [f, digest] of Object.entries(doc.files)) {
    if (!present.includes(f)) throw new PlugwayError('PLW_ERR_INTEGRITY_MISMATCH', { file: label, entry: `${f} (missing)` });
    if (sha256Hex(readFileSync(join(dir, f))) !== digest) throw new PlugwayError('PLW_ERR_INTEGRITY_MISMATCH', { file: label, entry: f });
  }
  return doc;
}
