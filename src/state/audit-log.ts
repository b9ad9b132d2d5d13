// The append-only audit log of admin actions: <state dir>/audit.log, one JSON object per line,
// each line one O_APPEND write so concurrent writers never interleave inside a line.

import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { AuditEntry } from './types.js';

export const AUDIT_LOG_FILE = 'audit.log';

/** A token's identity for logs: a short sha256 prefix, never the token. */
export function tokenIdentity(token: string | undefined): string {
  if (!token) return 'anonymous';
  return `token:${createHash('sha256').update(token).digest('hex').slice(0, 12)}`;
}

export class AuditLog {
  readonly file: string;
  private ready?: Promise<unknown>;

  constructor(readonly dir: string) {
    this.file = join(dir, AUDIT_LOG_FILE);
  }

  async append(entry: Omit<AuditEntry, 'time'> & { time?: string }): Promise<void> {
    this.ready ??= mkdir(this.dir, { recursive: true });
    await this.ready;
    const line = JSON.stringify({ time: entry.time ?? new Date().toISOString(), ...entry }) + '\n';
    await appendFile(this.file, line, { mode: 0o600 });
  }

  /** Every readable entry (a line torn by a crash is skipped). */
  async read(): Promise<AuditEntry[]> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch {
      return [];
    }
    const out: AuditEntry[] = [];
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        out.push(JSON.parse(line) as AuditEntry);
      } catch {
        /* a torn last line */
      }
    }
    return out;
  }
}
