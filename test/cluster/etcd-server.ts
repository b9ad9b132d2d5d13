// Test helper: a real single-member etcd on free loopback ports with a temp data dir, started
// and stopped by PID; ready when it logs that it serves client traffic.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, ownChild } from '../helpers/services.js';

export interface EtcdServer {
  endpoint: string;
  pid(): number | undefined;
  /** Starts (again, on the same ports and data) and resolves when it serves clients. */
  start(): Promise<void>;
  /** Stops it by PID (SIGTERM, then SIGKILL after 5 s) and resolves when it has exited. */
  stop(): Promise<void>;
  /** Stops it and removes the data dir. */
  destroy(): Promise<void>;
}

export async function createEtcdServer(): Promise<EtcdServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'plugway-etcd-'));
  const clientPort = await freePort();
  let peerPort = await freePort();
  while (peerPort === clientPort) peerPort = await freePort();
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  let child: ChildProcess | undefined;

  const start = () =>
    new Promise<void>((resolve, reject) => {
      const args = [
        '--name',
        'n1',
        '--data-dir',
        dataDir,
        '--listen-client-urls',
        client,
        '--advertise-client-urls',
        client,
        '--listen-peer-urls',
        peer,
        '--initial-advertise-peer-urls',
        peer,
        '--initial-cluster',
        `n1=${peer}`,
        '--initial-cluster-state',
        'new',
        '--logger',
        'zap',
        '--log-outputs',
        'stderr',
      ];
      const proc = ownChild(spawn('etcd', args, { stdio: ['ignore', 'ignore', 'pipe'] }));
      child = proc;
      let log = '';
      const timer = setTimeout(() => fail(new Error(`etcd did not become ready in 20 s:\n${log.slice(-2000)}`)), 20_000);
      const fail = (err: Error) => {
        clearTimeout(timer);
        proc.kill('SIGKILL');
        reject(err);
      };
      proc.once('error', fail);
      proc.once('exit', (code) => fail(new Error(`etcd exited with ${code} before it was ready:\n${log.slice(-2000)}`)));
      proc.stderr!.setEncoding('utf8');
      proc.stderr!.on('data', (chunk: string) => {
        if (log.length < 200_000) log += chunk;
        if (/ready to serve client requests|serving client traffic/.test(log)) {
          clearTimeout(timer);
          proc.removeAllListeners('exit');
          proc.stderr!.removeAllListeners('data');
          proc.stderr!.resume(); // keep draining so etcd never blocks on a full pipe
          resolve();
        }
      });
    });

  const stop = async () => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    process.kill(proc.pid!, 'SIGTERM');
    const kill = setTimeout(() => proc.pid && process.kill(proc.pid, 'SIGKILL'), 5000);
    await exited;
    clearTimeout(kill);
  };

  return {
    endpoint: client,
    pid: () => child?.pid,
    start,
    stop,
    destroy: async () => {
      await stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
