// Test helper: a private MariaDB on a free port with a temporary data dir, for conditions that
// need global settings (max_connections, long_query_time) without touching the shared server.
import { spawn, execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import { freePort } from '../helpers/services.js';
import { stopProcess, waitUntilAnswers } from './server-process.js';

const run = promisify(execFile);

export interface PrivateMariadb {
  port: number;
  url: string;
  dir: string;
  connect(): Promise<mysql.Connection>;
  stop(): Promise<void>;
}

/** Starts mariadbd with the given extra flags (e.g. --max-connections=10); resolves when it answers. */
export async function startPrivateMariadb(flags: string[] = []): Promise<PrivateMariadb> {
  const dir = mkdtempSync(join(tmpdir(), 'plugway-mariadb-'));
  const data = join(dir, 'data');
  const user = process.getuid?.() === 0 ? ['--user=root'] : [];
  await run('mariadb-install-db', ['--no-defaults', `--datadir=${data}`, '--auth-root-authentication-method=normal', '--skip-test-db', ...user]);
  const port = await freePort();
  const child = spawn('mariadbd', ['--no-defaults', `--datadir=${data}`, `--port=${port}`, `--socket=${join(dir, 'sock')}`, '--bind-address=127.0.0.1',
    `--pid-file=${join(dir, 'pid')}`, `--log-error=${join(dir, 'err.log')}`, '--skip-log-bin', '--innodb-buffer-pool-size=16M', ...user, ...flags], { stdio: 'ignore' });
  const connect = () => mysql.createConnection({ host: '127.0.0.1', port, user: 'root', database: 'mysql' });
  await waitUntilAnswers(`mariadbd on port ${port}`, child, `see ${join(dir, 'err.log')}`, async () => {
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
      await stopProcess(child, () => child.kill('SIGTERM'));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
