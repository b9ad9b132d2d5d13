// mysql-diagnostics against real MariaDB: a private server on a free port for conditions that
// need global settings (saturation, slow queries, lock waits, long transactions, privileges),
// and the shared one (read-only) for shape and the checks that cannot run there.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import mysql from 'mysql2/promise';
import type { DiagnosticResult, DiagnosticsPlugin } from 'plugway/sdk';
import createMysqlDiagnostics, { ACTIONS, DEFAULT_CONFIG } from '../../plugins/mysql-diagnostics/src/index.js';
import { binarySkip, serviceSkip } from '../helpers/services.js';
import { assertHealthy, assertManifestMatches, assertResultShape, codes, ctxOf, diagnoser, find } from './harness.js';
import { startPrivateMariadb, type PrivateMariadb } from './mysql-server.js';

type Cfg = Partial<typeof DEFAULT_CONFIG>;
const ctx = (config: Cfg = {}) => ctxOf(config);
const diagnose = diagnoser(createMysqlDiagnostics, { windowMs: 1000 });
const assertShape = (r: DiagnosticResult) => assertResultShape(r, 'mysql-diagnostics', 'MYSQL_');

test('plugin.yaml declares every threshold with the same default as the code', () => {
  assertManifestMatches('mysql-diagnostics', { actions: ACTIONS, defaults: DEFAULT_CONFIG });
});

describe('a private MariaDB (max_connections=10, performance_schema on)', { skip: binarySkip('mariadbd', 'mariadb-server') }, () => {
  let db: PrivateMariadb;
  before(async () => {
    db = await startPrivateMariadb(['--max-connections=10', '--performance-schema=ON']);
    const c = await db.connect();
    await c.query('CREATE TABLE t (id INT PRIMARY KEY, v INT) ENGINE=InnoDB');
    await c.query('INSERT INTO t VALUES (1, 0), (2, 0)');
    await c.end();
  });
  after(async () => {
    await db?.stop();
  });

  test('a fresh, idle server is healthy: no warning or critical finding', async () => {
    const r = await diagnose(db.url);
    assertShape(r);
    assertHealthy(r);
    // The young server's lifetime ratios are flagged, not judged (mysqltuner's 24 h caveat).
    assert.ok(codes(r).includes('MYSQL_UPTIME_SHORT'));
    assert.ok(codes(r).includes('MYSQL_NOT_A_REPLICA'));
    assert.equal(r.metrics.max_connections, 10);
  });

  test('saturated max_connections is critical', async () => {
    const held: mysql.Connection[] = [];
    try {
      for (let i = 0; i < 9; i++) held.push(await db.connect());
      const r = await diagnose(db.url, {}, 500, ['connections']);
      const f = find(r, 'MYSQL_CONNECTIONS_HIGH');
      assert.ok(f, codes(r).join());
      assert.equal(f.severity, 'critical');
      assert.equal(f.evidence.threads_connected, 10);
      assert.equal(r.status, 'critical');
      // Max_used_connections now remembers the peak.
      assert.ok(codes(await diagnose(db.url, {}, 200, ['connections'])).includes('MYSQL_MAX_USED_CONNECTIONS_HIGH'));
    } finally {
      await Promise.all(held.map((c) => c.end()));
    }
  });

  test('slow queries during the window: slow-query ratio and slow digests', async () => {
    const admin = await db.connect();
    await admin.query('SET GLOBAL long_query_time = 0.1');
    const worker = await db.connect(); // long_query_time is read at connect
    try {
      // The statements run while the plugin samples, so the window's deltas see them.
      const p = createMysqlDiagnostics({ digest_p95_warning_seconds: 0.1, digest_min_executions: 3 });
      await p.connect({ url: db.url }, ctx());
      const load = (async () => {
        for (let i = 0; i < 4; i++) await worker.query('SELECT SLEEP(0.2)');
      })();
      const r = await p.diagnose({ windowMs: 1500, categories: ['queries'] }, ctx());
      await load;
      await p.disconnect(ctx());
      const slow = find(r, 'MYSQL_SLOW_QUERIES');
      assert.ok(slow, codes(r).join());
      assert.equal(slow.severity, 'warning');
      assert.equal(slow.evidence.basis, 'window');
      assert.ok(Number(slow.evidence.numerator) >= 3);
      assert.ok(codes(r).includes('MYSQL_SLOW_LOG_OFF'));
      const digest = find(r, 'MYSQL_SLOW_DIGEST');
      assert.ok(digest, codes(r).join());
      assert.match(JSON.stringify(digest.evidence), /SLEEP/i);
      assert.ok(codes(r).includes('MYSQL_TOP_QUERIES'));
    } finally {
      await admin.query('SET GLOBAL long_query_time = 10');
      await admin.end();
      await worker.end();
    }
  });

  test('a row lock wait between two sessions and the long transaction behind it', async () => {
    const a = await db.connect();
    const b = await db.connect();
    try {
      await a.query('BEGIN');
      await a.query('UPDATE t SET v = v + 1 WHERE id = 1');
      await b.query('SET SESSION innodb_lock_wait_timeout = 30');
      const blocked = b.query('UPDATE t SET v = v + 10 WHERE id = 1').catch((e: Error) => e);
      const p = createMysqlDiagnostics({ lock_wait_warning_seconds: 0.5, transaction_warning_seconds: 1 });
      await p.connect({ url: db.url }, ctx());
      const r = await p.diagnose({ windowMs: 1200, categories: ['locks', 'transactions'] }, ctx());
      const lock = find(r, 'MYSQL_LOCK_WAITS');
      assert.ok(lock, codes(r).join());
      assert.equal(lock.severity, 'warning');
      assert.ok((lock.evidence.waiting as unknown[]).length >= 1);
      assert.ok((lock.evidence.likely_blockers as unknown[]).length >= 1);
      const trx = find(r, 'MYSQL_LONG_TRANSACTION');
      assert.ok(trx, codes(r).join());
      assert.ok(Number(trx.evidence.oldest_seconds) >= 1);
      // kill-query is destructive: refused by default, allowed with allow_destructive.
      const waiting = (lock.evidence.waiting as Array<{ thread_id: number }>)[0]!.thread_id;
      await assert.rejects(
        async () => p.execute!('kill-query', { id: waiting }, ctx()),
        (e: { code?: string }) => e.code === 'PLW_ERR_ACTION_DESTRUCTIVE',
      );
      await p.disconnect(ctx());
      const killer = createMysqlDiagnostics({ allow_destructive: true });
      await killer.connect({ url: db.url }, ctx());
      await killer.execute!('kill-query', { id: waiting }, ctx());
      await killer.disconnect(ctx());
      const err = await blocked;
      assert.ok(err instanceof Error && /interrupt/i.test(err.message), String(err));
    } finally {
      await a.query('ROLLBACK').catch(() => undefined);
      await a.end();
      await b.end();
    }
  });

  test('a user without privileges gets info findings saying why, not a crash', async () => {
    const admin = await db.connect();
    await admin.query("CREATE USER IF NOT EXISTS 'weak'@'%'");
    await admin.end();
    const r = await diagnose(`mysql://weak@127.0.0.1:${db.port}/`, {}, 300);
    assertShape(r);
    const unreadable = r.findings.filter((f) => f.code === 'MYSQL_REPLICATION_UNREADABLE' || f.code === 'MYSQL_CHECK_UNAVAILABLE');
    assert.ok(unreadable.length >= 1, codes(r).join());
    assert.ok(unreadable.every((f) => f.severity === 'info'));
    assert.match(unreadable.map((f) => f.message).join(' '), /denied|privilege/i);
  });

  test('actions: explain a SELECT, refuse what is not whitelisted or not a SELECT', async () => {
    const p = createMysqlDiagnostics({});
    await p.connect({ url: db.url }, ctx());
    try {
      const res = (await p.execute!('explain', { sql: 'SELECT * FROM t WHERE id = 1' }, ctx())) as { plan: { query_block?: unknown } };
      assert.ok(res.plan.query_block);
      await assert.rejects(
        async () => p.execute!('explain', { sql: 'DELETE FROM t' }, ctx()),
        (e: { code?: string }) => e.code === 'PLW_ERR_BAD_REQUEST',
      );
      await assert.rejects(
        async () => p.execute!('explain', { sql: 'SELECT 1; DROP TABLE t' }, ctx()),
        (e: { code?: string }) => e.code === 'PLW_ERR_BAD_REQUEST',
      );
      await assert.rejects(
        async () => p.execute!('flush-tables', {}, ctx()),
        (e: { code?: string }) => e.code === 'PLW_ERR_ACTION_NOT_ALLOWED',
      );
      const list = (await p.execute!('processlist', {}, ctx())) as { processes: unknown[] };
      assert.ok(list.processes.length >= 1);
      const m = await p.getMetrics(ctx());
      assert.equal(m.max_connections, 10);
      assert.ok(m.threads_connected! >= 1);
    } finally {
      await p.disconnect(ctx());
    }
  });

  test('handleRequest: a target gives a DiagnosticResult, a bad body a 400', async () => {
    const p = createMysqlDiagnostics({}) as DiagnosticsPlugin<Cfg>;
    const req = (body: unknown) => ({ id: 'r1', method: 'POST', path: '/diagnostics/mysql', params: {}, query: {}, headers: {}, body, context: {} });
    const ok = await p.handleRequest!(req({ target: db.url, categories: ['connections'], window: '200ms' }), ctx());
    assert.equal(ok.statusCode, 200);
    assertShape(ok.body as DiagnosticResult);
    assert.ok((ok.body as DiagnosticResult).findings.every((f) => f.category === 'connections'));
    for (const bad of [undefined, 'nope', {}, { target: 5 }, { target: db.url, window: 'soon' }, { target: db.url, categories: 'x' }, { target: db.url, categories: ['nope'] }]) {
      const res = await p.handleRequest!(req(bad), ctx());
      assert.equal(res.statusCode, 400, JSON.stringify(bad));
      assert.equal((res.body as { error: { code: string } }).error.code, 'PLW_ERR_DIAG_BAD_REQUEST');
    }
    const down = await p.handleRequest!(req({ target: '127.0.0.1:1' }), ctx());
    assert.equal(down.statusCode, 502);
    assert.equal((down.body as { error: { code: string } }).error.code, 'PLW_ERR_DIAG_CONNECT');
  });
});

describe('the shared MariaDB (read-only use)', () => {
  test('diagnoses without changing anything; performance_schema off is reported as info', async (t) => {
    const skip = await serviceSkip('mariadb');
    if (skip) return t.skip(skip);
    const r = await diagnose('mysql://root@127.0.0.1:3306/test', {}, 500);
    assertShape(r);
    assert.ok(r.findings.length > 0);
    const c = await mysql.createConnection({ host: '127.0.0.1', user: 'root' });
    const [vars] = await c.query("SHOW GLOBAL VARIABLES LIKE 'performance_schema'");
    await c.end();
    const ps = String((vars as Array<{ Value: string }>)[0]?.Value);
    if (ps === 'OFF') assert.equal(find(r, 'MYSQL_PERFORMANCE_SCHEMA_OFF')?.severity, 'info');
    assert.equal(r.findings.filter((f) => f.code === 'MYSQL_CHECK_UNAVAILABLE').length, 0, JSON.stringify(r.findings));
  });

  test('an unknown category is reported, not ignored', async (t) => {
    const skip = await serviceSkip('mariadb');
    if (skip) return t.skip(skip);
    const r = await diagnose('127.0.0.1:3306', {}, 100, ['connections', 'nope']);
    assert.ok(find(r, 'MYSQL_UNKNOWN_CATEGORY'));
    assert.ok(r.findings.every((f) => f.category === 'connections' || f.code === 'MYSQL_UNKNOWN_CATEGORY'));
  });
});
