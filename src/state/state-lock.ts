// One gateway process per state dir: <dir>/gateway.lock names the process that holds it. A second
// process fails with PLW_ERR_STATE_DIR_LOCKED; a lock left by a process that is gone is taken over
// (same host: its pid is gone; another host, e.g. a pod on a shared volume: no heartbeat for 30 s).

import { hostname } from 'node:os';
import { mkdir, readFile, stat, unlink, utimes, writeFile } from 'node:fs/promises';
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

/** The holder touches the file this often; a lock from another host untouched for STALE_AFTER_MS is stale. */
export const LOCK_HEARTBEAT_MS = 10_000;
const STALE_AFTER_MS = 3 * LOCK_HEARTBEAT_MS;

/** Gateways of this process per state dir: several may share it knowingly (tests, an app mounting two). */
const held = new Map<string, { count: number; tookOver?: LockBody; heartbeat: NodeJS.Timeout }>();

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
    // A process on another machine (a shared volume, another pod) cannot be probed: its heartbeat is.
    const age = Date.now() - ((await stat(file).catch(() => undefined))?.mtimeMs ?? 0);
    const live = other && (other.host !== body.host ? age < STALE_AFTER_MS : other.pid !== process.pid && alive(other.pid));
    if (live || attempt >= 2) {
      throw new PlugwayError('PLW_ERR_STATE_DIR_LOCKED', { dir: key, pid: other ? (other.host === body.host ? other.pid : `${other.pid} on ${other.host}`) : '?', since: other?.started_at ?? '?' });
    }
    tookOver = other;
    await unlink(file).catch(() => undefined);
  }
  const heartbeat = setInterval(() => {
    const now = new Date();
    void utimes(file, now, now).catch(() => undefined);
  }, LOCK_HEARTBEAT_MS);
  heartbeat.unref();
  held.set(key, { count: 1, tookOver, heartbeat });
  return { file, tookOver, release: () => release(key, file) };
}

async function release(key: string, file: string): Promise<void> {
  const h = held.get(key);
  if (!h) return;
  if (--h.count > 0) return;
  held.delete(key);
  clearInterval(h.heartbeat);
  const cur = await readLock(file);
  if (cur?.pid === process.pid) await unlink(file).catch(() => undefined);
}
