// TLS and password auth for real: a private MariaDB with a throw-away certificate for 127.0.0.1
// and a user that must use TLS, diagnosed through ?ssl=required and tls options.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DiagnosticTarget, PluginContext } from 'plugway/sdk';
import createMysqlDiagnostics from '../../plugins/mysql-diagnostics/src/index.js';
import { binarySkip } from '../helpers/services.js';
import { startPrivateMariadb, type PrivateMariadb } from './mysql-server.js';

const ctx = { config: {} } as unknown as PluginContext;

function selfSigned(dir: string, name: string): { cert: string; key: string } {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  return { cert, key };
}

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

  const diagnoseWith = async (target: DiagnosticTarget) => {
    const p = createMysqlDiagnostics({});
    await p.connect(target, ctx);
    try {
      return await p.diagnose({ windowMs: 100, categories: ['connections', 'transactions', 'replication'] }, ctx);
    } finally {
      await p.disconnect(ctx);
    }
  };

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
    await assert.rejects(async () => p.connect({ url: `mysql://diag:diag-secret@127.0.0.1:${db.port}/` }, ctx),
      (e: { code?: string; message?: string }) => e.code === 'PLW_ERR_DIAG_CONNECT' && /denied/i.test(e.message ?? ''));
    await assert.rejects(async () => p.connect({ url: `mysql://diag:wrong@127.0.0.1:${db.port}/?ssl=required` }, ctx),
      (e: { code?: string; message?: string }) => e.code === 'PLW_ERR_DIAG_CONNECT' && /denied/i.test(e.message ?? ''));
    await assert.rejects(async () => p.connect({ url: `mysql://diag:diag-secret@127.0.0.1:${db.port}/?ssl=true` }, ctx),
      (e: { code?: string; message?: string }) => e.code === 'PLW_ERR_DIAG_CONNECT' && /certificate/i.test(e.message ?? ''));
  });
});
