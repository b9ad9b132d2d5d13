// TLS and password auth for real: a private MariaDB with a throw-away certificate for 127.0.0.1
// and a user that must use TLS, diagnosed through ?ssl=required and tls options.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import createMysqlDiagnostics from '../../plugins/mysql-diagnostics/src/index.js';
import { binarySkip } from '../helpers/services.js';
import { ctxOf, diagnoser, selfSigned } from './harness.js';
import { startPrivateMariadb, type PrivateMariadb } from './mysql-server.js';

const ctx = ctxOf({});
const diagnoseWith = diagnoser(createMysqlDiagnostics, { windowMs: 100, categories: ['connections', 'transactions', 'replication'] });

describe('a private MariaDB with TLS and a password', { skip: binarySkip('mariadbd', 'mariadb-server') || binarySkip('openssl', 'openssl') }, () => {
  let db: PrivateMariadb;
  let dir: string;
  let ca: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'plugway-mytls-'));
    const server = selfSigned(dir, 'server');
    ca = readFileSync(server.cert, 'utf8');
    db = await startPrivateMariadb([`--ssl-cert=${server.cert}`, `--ssl-key=${server.key}`]);
    const c = await db.connect();
    await c.query("CREATE USER 'diag'@'%' IDENTIFIED BY 'diag-secret' REQUIRE SSL");
    await c.query("GRANT PROCESS, SLAVE MONITOR ON *.* TO 'diag'@'%'");
    await c.end();
  });
  after(async () => {
    await db?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('?ssl=required with the password in the URL; the password never shows', async () => {
    const r = await diagnoseWith({ url: `mysql://diag:diag-secret@127.0.0.1:${db.port}/?ssl=required` });
    assert.equal(r.status, 'healthy', JSON.stringify(r.findings));
    assert.equal(r.target, `diag@127.0.0.1:${db.port}`);
    // PROCESS and SLAVE MONITOR are enough for these checks.
    assert.equal(r.findings.filter((f) => f.code === 'MYSQL_CHECK_UNAVAILABLE' || f.code === 'MYSQL_REPLICATION_UNREADABLE').length, 0, JSON.stringify(r.findings));
  });

  test('tls options verify the server against its CA; without TLS or with a wrong password the connect fails', async () => {
    const ok = await diagnoseWith({ url: `127.0.0.1:${db.port}`, username: 'diag', password: 'diag-secret', tls: { ca, rejectUnauthorized: true } });
    assert.equal(ok.status, 'healthy');
    const p = createMysqlDiagnostics({});
    await assert.rejects(
      async () => p.connect({ url: `mysql://diag:diag-secret@127.0.0.1:${db.port}/` }, ctx),
      (e: { code?: string; message?: string }) => e.code === 'PLW_ERR_DIAG_CONNECT' && /denied/i.test(e.message ?? ''),
    );
    await assert.rejects(
      async () => p.connect({ url: `mysql://diag:wrong@127.0.0.1:${db.port}/?ssl=required` }, ctx),
      (e: { code?: string; message?: string }) => e.code === 'PLW_ERR_DIAG_CONNECT' && /denied/i.test(e.message ?? ''),
    );
    await assert.rejects(
      async () => p.connect({ url: `mysql://diag:diag-secret@127.0.0.1:${db.port}/?ssl=true` }, ctx),
      (e: { code?: string; message?: string }) => e.code === 'PLW_ERR_DIAG_CONNECT' && /certificate/i.test(e.message ?? ''),
    );
  });
});
