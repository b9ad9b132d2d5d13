// Test helper: a real nats-server with JetStream on a free loopback port and a temp store dir,
// started and stopped by PID; start() again reuses the port and the store (a restart).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canConnect, freePort, ownChild } from '../helpers/services.js';

export const NATS_BIN = '/usr/sbin/nats-server';

export interface NatsServer {
  url: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  destroy(): Promise<void>;
}

export async function createNatsServer(): Promise<NatsServer> {
  const storeDir = await mkdtemp(join(tmpdir(), 'plugway-nats-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    const proc = ownChild(spawn(NATS_BIN, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], { stdio: ['ignore', 'ignore', 'pipe'] }));
    child = proc;
    let log = '';
    proc.stderr!.on('data', (d) => (log = (log + d).slice(-4000)));
    const end = Date.now() + 15_000;
    while (!(await canConnect('127.0.0.1', port, 500))) {
      if (proc.exitCode !== null) throw new Error(`nats-server exited ${proc.exitCode}: ${log}`);
      if (Date.now() > end) throw new Error(`nats-server did not listen within 15 s: ${log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const stop = async () => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    proc.kill('SIGTERM');
    const kill = setTimeout(() => proc.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(kill);
  };
  return {
    url: `nats://127.0.0.1:${port}`,
    start,
    stop,
    destroy: async () => {
      await stop();
      await rm(storeDir, { recursive: true, force: true });
    },
  };
}
