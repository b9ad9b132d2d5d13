// Test helper: a `plugway serve` child process as one cluster node (etcd state store), on a free
// port, with its own state dir; stopped by PID (SIGTERM, or SIGKILL to play a crash).
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ownChild } from '../helpers/services.js';
import { tmpDir } from '../gateway/helpers.js';
import { waitFor } from '../helpers/wait.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface ServeNode {
  child: ChildProcess;
  url: string;
  stateDir: string;
  output(): string;
  /** SIGTERM (or `signal`) and wait for the exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export async function startServeNode(opts: { etcd?: string; prefix?: string; token: string; nodeId?: string; args?: string[]; env?: Record<string, string>; stateDir?: string }): Promise<ServeNode> {
  const stateDir = opts.stateDir ?? (await tmpDir('node-state'));
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    PLUGWAY_ADMIN_TOKEN: opts.token,
    ...(opts.etcd ? { PLUGWAY_STATE_STORE: 'etcd', PLUGWAY_ETCD_ENDPOINTS: opts.etcd, PLUGWAY_ETCD_PREFIX: opts.prefix ?? '/plugway' } : {}),
    ...(opts.nodeId ? { PLUGWAY_NODE_ID: opts.nodeId } : {}),
    ...opts.env,
  };
  const child = ownChild(
    spawn(process.execPath, [join(ROOT, 'bin/plugway.js'), 'serve', '--port', '0', '--state-dir', stateDir, ...(opts.args ?? [])], { cwd: stateDir, stdio: ['ignore', 'pipe', 'pipe'], env }),
  );
  let out = '';
  child.stderr!.on('data', (d) => (out += d));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not listen within 30 s:\n${out.slice(-3000)}`)), 30_000);
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited ${code}:\n${out.slice(-3000)}`));
    });
  });
  return {
    child,
    url,
    stateDir,
    output: () => out,
    stop: (signal = 'SIGTERM') =>
      new Promise<void>((r) => {
        if (child.exitCode !== null || child.signalCode !== null) return r();
        child.once('exit', () => r());
        child.kill(signal);
      }),
  };
}

/** Polls `probe` every 100 ms until it returns a truthy value; rejects after `ms` with `what`. */
export function until<T>(probe: () => Promise<T | undefined | false>, ms: number, what: string): Promise<T> {
  return waitFor(probe, { what, timeoutMs: ms, everyMs: 100 });
}
