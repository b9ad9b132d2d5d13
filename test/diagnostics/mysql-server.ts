// Test helper: a private MariaDB on a free port with a temporary data dir, for conditions that
// need global settings (max_connections, long_query_time) without touching the shared server.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import { freePort, ownChild } from '../helpers/services.js';
import { stopProcess, waitUntilAnswers } from './server-process.js';

const run = promisify(execFile);

export interface PrivateMariadb {
  port: number;
  url: string;
  dir: string;
  connect(): Promise<mysql.Connection>;
  stop(): Promise<void>;
}

/**
 * Starts mariadbd with the given extra flags (e.g. --max-connections=10); resolves when it answers.
 * Each server has its own tmpdir: a mariadbd starting up clears `#sql*` files from its tmpdir, and
 * with the shared /tmp it removed a concurrent mariadb-install-db's temporary tables (that install
 * then failed with "Unknown table 'mysql.tmp_user_sys'"). A failed start leaves nothing running.
 */
export async function startPrivateMariadb(flags: string[] = []): Promise<PrivateMariadb> {
  const dir = mkdtempSync(join(tmpdir(), 'plugway-mariadb-'));
  const data = join(dir, 'data');
  const tmp = join(dir, 'tmp');
  mkdirSync(tmp);
  const user = process.getuid?.() === 0 ? ['--user=root'] : [];
  let child: ChildProcess | undefined;
  try {
    await run('mariadb-install-db', ['--no-defaults', `--datadir=${data}`, `--tmpdir=${tmp}`, '--auth-root-authentication-method=normal', '--skip-test-db', ...user]);
    const port = await freePort();
    child = ownChild(
      spawn(
        'mariadbd',
        [
          '--no-defaults',
          `--datadir=${data}`,
          `--tmpdir=${tmp}`,
          `--port=${port}`,
          `--socket=${join(dir, 'sock')}`,
          '--bind-address=127.0.0.1',
          `--pid-file=${join(dir, 'pid')}`,
          `--log-error=${join(dir, 'err.log')}`,
          '--skip-log-bin',
          '--innodb-buffer-pool-size=16M',
          ...user,
          ...flags,
        ],
        { stdio: 'ignore' },
      ),
    );
    const server = child;
    const connect = () => mysql.createConnection({ host: '127.0.0.1', port, user: 'root', database: 'mysql' });
    await waitUntilAnswers(`mariadbd on port ${port}`, server, `see ${join(dir, 'err.log')}`, async () => {
      const c = await connect();
      await c.query('CREATE DATABASE IF NOT EXISTS test');
      await c.end();
    });
    return {
      port,
      dir,
      url: `mysql://root@127.0.0.1:${port}/test`,
      connect: () => mysql.createConnection({ host: '127.0.0.1', port, user: 'root', database: 'test' }),
      async stop() {
        await stopProcess(server, () => server.kill('SIGTERM'));
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    if (child) await stopProcess(child, () => child!.kill('SIGKILL'));
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
