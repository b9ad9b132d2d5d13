// `plugway serve` with PLUGWAY_ADMIN_TOKEN in its environment runs the gateway in a child process
// started without it: the token goes over a pipe (PLUGWAY_ADMIN_TOKEN_FD=3) and the child keeps
// only its digest. Deleting it from process.env would not do: /proc/self/environ keeps the
// environment a process started with, and in-process and worker plugins can read it.

import { spawn } from 'node:child_process';
import { Socket } from 'node:net';
import { constants } from 'node:os';

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGUSR2'];

/**
 * When PLUGWAY_ADMIN_TOKEN is set: starts this same command without it, forwards signals to it and
 * exits with its status (never resolves). Otherwise resolves false at once and serve goes on here.
 */
export function reexecWithoutAdminToken(env: NodeJS.ProcessEnv = process.env): Promise<false> {
  const token = env.PLUGWAY_ADMIN_TOKEN;
  if (!token) return Promise.resolve(false);
  const { PLUGWAY_ADMIN_TOKEN: _token, ...rest } = env;
  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
    // fd 3: the token; fd 4: stays open while this process lives (the child ends when it closes).
    stdio: ['inherit', 'inherit', 'inherit', 'pipe', 'pipe'],
    // Defined but empty: a plugway.yaml that interpolates ${PLUGWAY_ADMIN_TOKEN} still loads.
    env: { ...rest, PLUGWAY_ADMIN_TOKEN: '', PLUGWAY_ADMIN_TOKEN_FD: '3', PLUGWAY_PARENT_FD: '4' },
  });
  const pipe = child.stdio[3] as NodeJS.WritableStream;
  pipe.on('error', () => undefined);
  pipe.end(token);
  for (const sig of FORWARDED) process.on(sig, () => child.kill(sig));
  return new Promise<false>(() => {
    child.once('exit', (code, signal) => {
      process.exitCode = code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : 1);
      process.exit();
    });
    child.once('error', (err) => {
      process.stderr.write(`plugway: could not start the gateway process: ${err.message}\n`);
      process.exit(1);
    });
  });
}

/**
 * In the re-executed gateway: when the process that started it dies (even by SIGKILL, which it
 * cannot forward), fd 4 closes and the gateway stops as on SIGTERM instead of living on orphaned.
 */
export function stopWithParent(env: NodeJS.ProcessEnv = process.env): void {
  const fd = Number(env.PLUGWAY_PARENT_FD);
  if (!env.PLUGWAY_PARENT_FD || !Number.isInteger(fd) || fd < 3) return;
  delete env.PLUGWAY_PARENT_FD;
  try {
    const parent = new Socket({ fd, readable: true, writable: false });
    parent.on('data', () => undefined);
    parent.once('close', () => process.kill(process.pid, 'SIGTERM'));
    parent.on('error', () => undefined);
    parent.unref();
  } catch {
    /* not a pipe: nothing to watch */
  }
}
