// Test helper: a private PostgreSQL 15 on a free port with a temporary data dir (initdb as the
// postgres user when running as root), for settings the shared server must keep.
import { spawn, execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort, ownChild } from '../helpers/services.js';
import { stopProcess, waitUntilAnswers } from './server-process.js';

const run = promisify(execFile);
export const PG_BIN = '/usr/lib/postgresql/15/bin';

export interface PrivatePostgres {
  port: number;
  url: string;
  dir: string;
  client(): Promise<pg.Client>;
  stop(): Promise<void>;
}

function asPostgres(cmd: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
}

export function postgresBinariesSkip(): false | string {
  if (existsSync(join(PG_BIN, 'initdb'))) return false;
  const msg = `${PG_BIN}/initdb is missing; install it with: apt-get install -y postgresql-15`;
  if (process.env.CI) throw new Error(`CI needs ${msg}`);
  return msg;
}

/** Starts postgres with extra settings (name → value), or a standby of the server on port standbyOf; resolves when it accepts connections. */
export async function startPrivatePostgres(settings: Record<string, string | number> = {}, options: { standbyOf?: number; socketOnlyReady?: boolean } = {}): Promise<PrivatePostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'plugway-pg-'));
  if (process.getuid?.() === 0) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: g } = await run('id', ['-g', 'postgres']);
    chownSync(dir, Number(stdout.trim()), Number(g.trim()));
  }
  const data = join(dir, 'data');
  if (options.standbyOf) {
    // A streaming standby: copy the primary and let -R write standby.signal and primary_conninfo.
    await run(...asPostgres(join(PG_BIN, 'pg_basebackup'), ['-h', '127.0.0.1', '-p', String(options.standbyOf), '-U', 'postgres', '-D', data, '-R', '-X', 'stream', '--no-sync']));
  } else {
    await run(...asPostgres(join(PG_BIN, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']));
  }
  const port = await freePort();
  const flags = ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'];
  for (const [k, v] of Object.entries(settings)) flags.push('-c', `${k}=${v}`);
  const child = ownChild(spawn(...asPostgres(join(PG_BIN, 'postgres'), flags), { stdio: 'ignore' }));
  const client = async () => {
    // socketOnlyReady: TCP needs a password there, so readiness and admin go through the socket.
    const c = new pg.Client({ host: options.socketOnlyReady ? dir : '127.0.0.1', port, user: 'postgres', database: 'postgres' });
    c.on('error', () => undefined);
    await c.connect();
    return c;
  };
  await waitUntilAnswers(`postgres on port ${port}`, child, `data dir ${data}`, async () => {
    await (await client()).end();
  });
  return {
    port,
    dir,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    client,
    async stop() {
      // Signal the postmaster itself by the PID it wrote (runuser sits between us and it); SIGINT is a fast shutdown.
      await stopProcess(child, () => {
        const pidFile = join(data, 'postmaster.pid');
        const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').split('\n')[0]) : NaN;
        if (pid > 0) process.kill(pid, 'SIGINT');
        else child.kill('SIGINT');
      });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
