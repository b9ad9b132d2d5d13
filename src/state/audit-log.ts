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

/** Denied admin requests written one by one per minute; past it they are counted (see appendDenied). */
export const DENIED_ENTRIES_PER_MINUTE = 60;
const DENIED_WINDOW_MS = 60_000;
const MAX_FIELD = 256;

export class AuditLog {
  readonly file: string;
  private ready?: Promise<unknown>;
  private deniedWindowStart = 0;
  private deniedInWindow = 0;
  private deniedSuppressed = 0;
  private summaryTimer?: NodeJS.Timeout;

  constructor(
    readonly dir: string,
    private readonly deniedPerWindow = DENIED_ENTRIES_PER_MINUTE,
    private readonly deniedWindowMs = DENIED_WINDOW_MS,
  ) {
    this.file = join(dir, AUDIT_LOG_FILE);
  }

  /**
   * A request refused for a missing or wrong token. Anyone who can reach the gateway can send those,
   * so they must not fill the disk: up to `deniedPerWindow` a minute are written one by one (fields
   * cut at 256 characters); the rest are counted, and one `denied_suppressed` entry per minute says
   * how many were left out.
   */
  async appendDenied(entry: Omit<AuditEntry, 'time' | 'result'>): Promise<void> {
    const now = Date.now();
    if (now - this.deniedWindowStart >= this.deniedWindowMs) {
      await this.flushSuppressed();
      this.deniedWindowStart = now;
      this.deniedInWindow = 0;
    }
    if (this.deniedInWindow >= this.deniedPerWindow) {
      if (this.deniedSuppressed++ === 0) {
        this.summaryTimer = setTimeout(() => void this.flushSuppressed().catch(() => undefined), this.deniedWindowStart + this.deniedWindowMs - now);
        this.summaryTimer.unref();
      }
      return;
    }
    this.deniedInWindow++;
    const cut = (v: string) => (v.length > MAX_FIELD ? `${v.slice(0, MAX_FIELD)}…` : v);
    await this.append({ ...entry, action: cut(entry.action), target: cut(entry.target), result: 'denied' });
  }

  private async flushSuppressed(): Promise<void> {
    if (this.summaryTimer) clearTimeout(this.summaryTimer);
    this.summaryTimer = undefined;
    const n = this.deniedSuppressed;
    if (n === 0) return;
    this.deniedSuppressed = 0;
    await this.append({
      actor: 'gateway',
      action: 'denied_suppressed',
      target: '/admin',
      result: 'denied',
      code: 'PLW_ERR_ADMIN_UNAUTHORIZED',
      message: `${n} more denied admin request(s) in that minute were counted, not written one by one (limit ${this.deniedPerWindow} a minute)`,
    });
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
