// Runs the real `plugway` command (bin/plugway.js) in a child process. Spawned, not spawnSync:
// a gateway the command talks to may live in the test's own event loop. PLUGWAY_URL and
// PLUGWAY_ADMIN_TOKEN from the test's environment are dropped unless `env` sets them.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const PLUGWAY_BIN = fileURLToPath(new URL('../../bin/plugway.js', import.meta.url));

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const { PLUGWAY_URL: _u, PLUGWAY_ADMIN_TOKEN: _t, ...base } = process.env;
    const child = spawn(process.execPath, [PLUGWAY_BIN, ...args], { cwd: opts.cwd, env: { ...base, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
