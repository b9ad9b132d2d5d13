// TLS and password auth for real: a private PostgreSQL with ssl=on (a throw-away self-signed
// certificate for 127.0.0.1) and scram-sha-256 for TCP, diagnosed through sslmode and tls options.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import createPostgresDiagnostics from '../../plugins/postgres-diagnostics/src/index.js';
import { binarySkip } from '../helpers/services.js';
import { ctxOf, diagnoser, selfSigned } from './harness.js';
import { postgresBinariesSkip, startPrivatePostgres, type PrivatePostgres } from './postgres-server.js';

const ctx = ctxOf({});
const diagnoseWith = diagnoser(createPostgresDiagnostics, { windowMs: 100, categories: ['connections'] });

describe('a private PostgreSQL with TLS and scram-sha-256', { skip: postgresBinariesSkip() || binarySkip('openssl', 'openssl') }, () => {
  let srv: PrivatePostgres;
  let dir: string;
  let ca: string;
  let otherCa: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'plugway-pgtls-'));
    const server = selfSigned(dir, 'server');
    otherCa = readFileSync(selfSigned(dir, 'other').cert, 'utf8');
    ca = readFileSync(server.cert, 'utf8');
    // Only TCP with a password from 127.0.0.1; the socket stays trusted for setting the password.
    const hba = join(dir, 'pg_hba.conf');
    writeFileSync(hba, 'local all all trust\nhost all all 127.0.0.1/32 scram-sha-256\n');
    if (process.getuid?.() === 0) {
      const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
      const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
      for (const f of [dir, server.cert, server.key, hba]) chownSync(f, uid, gid);
    }
    chmodSync(server.key, 0o600);
    srv = await startPrivatePostgres({ ssl: 'on', ssl_cert_file: server.cert, ssl_key_file: server.key, hba_file: hba, password_encryption: 'scram-sha-256' }, { socketOnlyReady: true });
    const c = await srv.client();
    await c.query("ALTER USER postgres PASSWORD 'diag-secret'");
    await c.end();
  });
  after(async () => {
    await srv?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('sslmode=require with the password in the URL', async () => {
    const r = await diagnoseWith({ url: `postgres://postgres:diag-secret@127.0.0.1:${srv.port}/postgres?sslmode=require` });
    assert.equal(r.plugin_id, 'postgres-diagnostics');
    assert.equal(r.status, 'healthy');
    assert.ok(!r.target.includes('diag-secret'), 'the password never appears in the result');
  });

  test('tls options verify the server against a CA; the wrong CA or password is a connect error', async () => {
    const ok = await diagnoseWith({ url: `127.0.0.1:${srv.port}`, password: 'diag-secret', tls: { ca, rejectUnauthorized: true } });
    assert.equal(ok.status, 'healthy');
    const p = createPostgresDiagnostics({});
    await assert.rejects(
      async () => p.connect({ url: `127.0.0.1:${srv.port}`, password: 'diag-secret', tls: { ca: otherCa, rejectUnauthorized: true } }, ctx),
      (e: { code?: string; message?: string }) => e.code === 'PLW_ERR_DIAG_CONNECT' && /certificate/i.test(e.message ?? ''),
    );
    await assert.rejects(
      async () => p.connect({ url: `postgres://postgres:wrong@127.0.0.1:${srv.port}/postgres?sslmode=require` }, ctx),
      (e: { code?: string; message?: string }) => e.code === 'PLW_ERR_DIAG_CONNECT' && /password authentication failed/.test(e.message ?? ''),
    );
  });
});
