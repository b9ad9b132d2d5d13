// mysql-diagnostics on what mysqltuner catches and it used to miss or misstate, on private MariaDB
// servers this test starts: full scans and joins without indexes with performance_schema off (the
// default), a hot full-scan digest with it on, buffer-pool efficiency during read-ahead, a peak of
// connections in the past, slow queries under a session's own long_query_time, and which
// transaction is the oldest when holder and waiter started in the same second.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type mysql from 'mysql2/promise';
import createMysqlDiagnostics from '../../plugins/mysql-diagnostics/src/index.js';
import { binarySkip } from '../helpers/services.js';
import { codes, diagnoser, expectFinding, find, plugwayDiagnose, untilInnodbTrx } from './harness.js';
import { startPrivateMariadb, type PrivateMariadb } from './mysql-server.js';

const diagnose = diagnoser(createMysqlDiagnostics, { windowMs: 1000 });

/** Runs `work` in a loop on its own connection until stopped. */
function loop(db: PrivateMariadb, work: (c: mysql.Connection) => Promise<unknown>) {
  let running = true;
  let conn: mysql.Connection | undefined;
  const done = (async () => {
    conn = await db.connect();
    while (running) await work(conn);
  })();
  return async () => {
    running = false;
    await done;
    await conn?.end();
  };
}

describe('private MariaDB servers (performance_schema off, and on)', { skip: binarySkip('mariadbd', 'mariadb-server') }, () => {
  let off: PrivateMariadb;
  let on: PrivateMariadb;
  let admin: mysql.Connection;
  before(async () => {
    [off, on] = await Promise.all([startPrivateMariadb(['--max-connections=10', '--innodb-buffer-pool-size=6M']), startPrivateMariadb(['--performance-schema=ON'])]);
    admin = await off.connect();
  });
  after(async () => {
    await admin?.end().catch(() => undefined);
    await Promise.all([off?.stop(), on?.stop()]);
  });

  test('a fresh server with performance_schema off is healthy', async () => {
    const r = await diagnose(off.url, {}, 500);
    assert.deepEqual(
      r.findings.filter((f) => f.severity !== 'info'),
      [],
    );
    assert.equal(find(r, 'MYSQL_FULL_TABLE_SCANS'), undefined, "the diagnosis's own SHOW statements are not counted as scans");
    const cli = await plugwayDiagnose(['mysql', off.url, '--json', '--window', '300ms']);
    assert.equal(cli.code, 0, cli.stdout + cli.stderr);
  });

  test('repeated full table scans and joins without indexes during the window, reported without performance_schema', async () => {
    // The tables the following tests use too (created after the fresh-server test, which they would disturb).
    await admin.query('CREATE TABLE scanned (id INT PRIMARY KEY AUTO_INCREMENT, k INT, pad CHAR(60))');
    // 200,000 rows (~20 MB): larger than the 6 MB buffer pool, so scans read ahead from disk.
    await admin.query("INSERT INTO scanned (k, pad) SELECT seq % 1000, REPEAT('p', 60) FROM seq_1_to_200000");
    await admin.query('CREATE TABLE ja (x INT)');
    await admin.query('CREATE TABLE jb (x INT)');
    await admin.query('INSERT INTO ja SELECT seq FROM seq_1_to_300');
    await admin.query('INSERT INTO jb SELECT seq FROM seq_1_to_300');
    const stopScans = loop(off, (c) => c.query("SELECT COUNT(*) FROM scanned WHERE pad = 'nope'"));
    const stopJoins = loop(off, (c) => c.query('SELECT COUNT(*) FROM ja JOIN jb ON ja.x = jb.x'));
    try {
      const r = await diagnose(off.url, {}, 2000, ['queries', 'innodb']);
      const scans = expectFinding(r, 'MYSQL_FULL_TABLE_SCANS', 'warning');
      assert.ok((scans.evidence.rows_per_second as number) >= 100_000, JSON.stringify(scans.evidence));
      const joins = expectFinding(r, 'MYSQL_JOINS_WITHOUT_INDEXES', 'warning');
      assert.ok((joins.evidence.joins_in_window as number) >= 1);
    } finally {
      await stopScans();
      await stopJoins();
    }
    // The scans stopped: the window sees none.
    const quiet = await diagnose(off.url, {}, 500, ['queries']);
    assert.equal(find(quiet, 'MYSQL_FULL_TABLE_SCANS'), undefined, codes(quiet).join());
    assert.equal(find(quiet, 'MYSQL_JOINS_WITHOUT_INDEXES'), undefined, codes(quiet).join());
  });

  test('buffer-pool read efficiency stays within 0–100% while read-ahead outnumbers requests (scans of a table larger than the pool)', async () => {
    const stop = loop(off, (c) => c.query("SELECT COUNT(*) FROM scanned WHERE pad = 'nope'"));
    try {
      // The first scans warm up; read-ahead dominates once the pool cycles.
      for (let i = 0; i < 3; i++) {
        const r = await diagnose(off.url, {}, 1500, ['innodb']);
        const eff = r.metrics.buffer_pool_read_efficiency;
        const f = find(r, 'MYSQL_BUFFER_POOL_READ_EFFICIENCY');
        assert.ok(eff !== undefined && eff >= 0 && eff <= 1, `efficiency ${eff}: ${JSON.stringify(f?.evidence)}`);
        assert.ok(f, 'a 6 MB pool under a 20 MB scan is still reported as too small');
        assert.doesNotMatch(f.message, /-\d/);
      }
    } finally {
      await stop();
    }
  });

  test('a connection peak in the past is info "since start"; status healthy (exit 0) once connections dropped', async () => {
    const held = await Promise.all(Array.from({ length: 8 }, () => off.connect()));
    await Promise.all(held.map((c) => c.end()));
    const r = await diagnose(off.url, {}, 300, ['connections']);
    const f = expectFinding(r, 'MYSQL_MAX_USED_CONNECTIONS_HIGH', 'info');
    assert.match(f.message, /since start/);
    assert.equal(r.status, 'healthy');
  });

  test("slow queries logged under a session's own long_query_time are not attributed to the global one", async () => {
    const stop = loop(off, async (c) => {
      await c.query('SET SESSION long_query_time = 0.05');
      await c.query('SELECT SLEEP(0.1)');
    });
    try {
      const r = await diagnose(off.url, {}, 1000, ['queries']);
      const f = expectFinding(r, 'MYSQL_SLOW_QUERIES');
      assert.doesNotMatch(f.message, /longer than long_query_time 10 s/);
      assert.match(f.message, /session/);
      assert.equal(f.evidence.long_query_time_global, 10);
    } finally {
      await stop();
    }
  });

  test('holder and waiter started in the same second: the holder is named the oldest, ages are numbers', async () => {
    let a: mysql.Connection | undefined;
    let b: mysql.Connection | undefined;
    try {
      // Start both inside one server second (retry if the pair straddles a second boundary).
      for (let attempt = 0; attempt < 5; attempt++) {
        a = await off.connect();
        b = await off.connect();
        await a.query('BEGIN');
        await a.query('UPDATE ja SET x = x WHERE x = 1');
        await b.query('BEGIN');
        void b.query('UPDATE ja SET x = x WHERE x = 1').catch(() => undefined);
        await untilInnodbTrx('the waiter', async () => ((await admin.query("SELECT 1 FROM information_schema.INNODB_TRX WHERE trx_state = 'LOCK WAIT'"))[0] as unknown[]).length === 1);
        const [rows] = await admin.query('SELECT COUNT(DISTINCT trx_started) AS n FROM information_schema.INNODB_TRX');
        if ((rows as Array<{ n: number }>)[0]!.n === 1) break;
        // The pair straddled a second: end both on the server before the next try. A destroyed client
        // leaves its statement running there (the waiter's UPDATE would hold on until the lock wait
        // timeout and then lock the row against the next pair).
        const ids = [a.threadId, b.threadId];
        for (const id of ids) await admin.query(`KILL ${id}`).catch(() => undefined);
        a.destroy();
        b.destroy();
        await untilInnodbTrx('the pair gone', async () => ((await admin.query('SELECT 1 FROM information_schema.INNODB_TRX WHERE trx_mysql_thread_id IN (?, ?)', ids))[0] as unknown[]).length === 0);
      }
      const [[holder]] = (await a!.query('SELECT CONNECTION_ID() AS id')) as unknown as [[{ id: number }]];
      const r = await diagnose(off.url, { transaction_warning_seconds: 0 }, 200, ['transactions']);
      const f = expectFinding(r, 'MYSQL_LONG_TRANSACTION');
      assert.match(f.message, new RegExp(`thread ${holder.id}, RUNNING`));
      const trx = f.evidence.transactions as Array<{ age_seconds: unknown; thread_id: number }>;
      assert.equal(trx[0]!.thread_id, holder.id);
      for (const t of trx) assert.equal(typeof t.age_seconds, 'number');
    } finally {
      a?.destroy();
      b?.destroy();
    }
  });

  test('performance_schema on: a hot statement doing full scans during the window is a warning', async () => {
    const c = await on.connect();
    await c.query('CREATE TABLE IF NOT EXISTS hot (id INT PRIMARY KEY AUTO_INCREMENT, k INT)');
    await c.query('INSERT INTO hot (k) SELECT seq FROM seq_1_to_20000');
    await c.end();
    // Before: run once so the digest exists since start (info only).
    const stop = loop(on, (x) => x.query('SELECT COUNT(*) FROM hot WHERE k = 7'));
    try {
      const r = await diagnose(on.url, {}, 1000, ['queries']);
      const f = expectFinding(r, 'MYSQL_HOT_FULL_SCAN_DIGEST', 'warning');
      const d = (f.evidence.digests as Array<{ query: string; executions_in_window: number; rows_examined_per_execution: number }>)[0]!;
      assert.match(d.query, /FROM `?hot`?/i);
      assert.ok(d.executions_in_window >= 5 && d.rows_examined_per_execution >= 20_000, JSON.stringify(d));
    } finally {
      await stop();
    }
    const quiet = await diagnose(on.url, {}, 300, ['queries']);
    assert.equal(find(quiet, 'MYSQL_HOT_FULL_SCAN_DIGEST'), undefined, 'nothing ran during this window');
    expectFinding(quiet, 'MYSQL_NO_INDEX_QUERIES', 'info');
    // A slow digest that ran only before the window is history too.
    const sleeper = await on.connect();
    for (let i = 0; i < 3; i++) await sleeper.query('SELECT SLEEP(0.15)');
    await sleeper.end();
    const past = await diagnose(on.url, { digest_p95_warning_seconds: 0.1, digest_min_executions: 3 }, 300, ['queries']);
    expectFinding(past, 'MYSQL_SLOW_DIGEST', 'info');
    assert.ok(!quiet.findings.some((x) => x.severity !== 'info'), JSON.stringify(quiet.findings.filter((x) => x.severity !== 'info')));
  });
});
