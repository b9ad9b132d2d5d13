// One gateway process per state dir: <dir>/gateway.lock names the process that holds it. A second
// process fails with PLW_ERR_STATE_DIR_LOCKED; a lock left by a process that is gone is taken over.

import { hostname } from 'node:os';
import { mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PlugwayError } from '../errors.js';

export const STATE_LOCK_FILE = 'gateway.lock';

interface LockBody {
  pid: number;
  host: string;
  started_at: string;
}

export interface StateDirLock {
  readonly file: string;
  /** Whether a stale lock (its process gone) was taken over. */
  readonly tookOver?: LockBody;
  release(): Promise<void>;
}

/** Gateways of this process per state dir: several may share it knowingly (tests, an app mounting two). */
const held = new Map<string, { count: number; tookOver?: LockBody }>();

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists, under another user.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readLock(file: string): Promise<LockBody | undefined> {
  try {
    const b = JSON.parse(await readFile(file, 'utf8')) as Partial<LockBody>;
    return typeof b.pid === 'number' ? { pid: b.pid, host: String(b.host ?? ''), started_at: String(b.started_at ?? '?') } : undefined;
  } catch {
    return undefined; // unreadable or half-written: treated as stale
  }
}

export async function lockStateDir(dir: string): Promise<StateDirLock> {
  const key = resolve(dir);
  const file = join(key, STATE_LOCK_FILE);
  const mine = held.get(key);
  if (mine) {
    mine.count++;
    return { file, tookOver: mine.tookOver, release: () => release(key, file) };
  }
  await mkdir(key, { recursive: true });
  const body: LockBody = { pid: process.pid, host: hostname(), started_at: new Date().toISOString() };
  let tookOver: LockBody | undefined;
  for (let attempt = 0; ; attempt++) {
    try {
      await writeFile(file, JSON.stringify(body) + '\n', { flag: 'wx', mode: 0o600 });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new PlugwayError('PLW_ERR_STATE_WRITE', { file, reason: (err as Error).message });
    }
    const other = await readLock(file);
    // A process on another machine (a shared volume) cannot be probed: its lock holds until removed by hand.
    const live = other && (other.host !== body.host ? true : other.pid !== process.pid && alive(other.pid));
    if (live || attempt >= 2) {
      throw new PlugwayError('PLW_ERR_STATE_DIR_LOCKED', { dir: key, pid: other ? (other.host === body.host ? other.pid : `${other.pid} on ${other.host}`) : '?', since: other?.started_at ?? '?' });
    }
    tookOver = other;
    await unlink(file).catch(() => undefined);
  }
  held.set(key, { count: 1, tookOver });
  return { file, tookOver, release: () => release(key, file) };
}

async function release(key: string, file: string): Promise<void> {
  const h = held.get(key);
  if (!h) return;
  if (--h.count > 0) return;
  held.delete(key);
  const cur = await readLock(file);
  if (cur?.pid === process.pid) await unlink(file).catch(() => undefined);
}
