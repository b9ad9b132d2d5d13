// Test helper: throwaway redis-server processes on free loopback ports with temp dirs, stopped
// by PID; and a bounded poll for conditions (no fixed sleeps).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, ownChild } from '../helpers/services.js';
import { waitFor as waitUntil } from '../helpers/wait.js';

export interface TestRedis {
  port: number;
  dir: string;
  url: string;
  proc: ChildProcess;
  /** A client the test owns (closed by stop()). */
  client(): Promise<Redis>;
  kill(signal?: NodeJS.Signals): Promise<void>;
  stop(): Promise<void>;
}

export function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 10_000, everyMs = 50): Promise<T> {
  return waitUntil(fn, { what, timeoutMs, everyMs });
}

export async function startRedis(args: string[] = [], opts: { sentinel?: boolean; conf?: string } = {}): Promise<TestRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'plw-redis-'));
  const base = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--logfile', join(dir, 'redis.log'), '--daemonize', 'no'];
  const argv = opts.sentinel ? [opts.conf!, '--sentinel', ...base, ...args] : [...base, '--save', '', '--appendonly', 'no', ...args];
  const proc = ownChild(spawn('redis-server', argv, { stdio: 'ignore' }));
  const clients: Redis[] = [];
  const open = async () => {
    const c = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    c.on('error', () => {});
    await c.connect();
    clients.push(c);
    return c;
  };
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  await waitFor(`redis-server on port ${port}`, async () => {
    if (proc.exitCode !== null) throw new Error(`redis-server exited with ${proc.exitCode}`);
    const c = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableReadyCheck: false });
    c.on('error', () => {});
    try {
      await c.connect();
      return (await c.ping()) === 'PONG';
    } catch (err) {
      // A server with a password answers NOAUTH: it is up.
      if (/NOAUTH/.test((err as Error).message)) return true;
      throw err;
    } finally {
      c.disconnect();
    }
  });
  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    for (const c of clients) c.disconnect();
    if (proc.exitCode === null && proc.signalCode === null && proc.pid) process.kill(proc.pid, signal);
    await exited;
  };
  return {
    port,
    dir,
    url: `redis://127.0.0.1:${port}`,
    proc,
    client: open,
    kill,
    async stop() {
      await kill();
      try {
        chmodSync(dir, 0o700);
      } catch {
        /* already gone */
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
