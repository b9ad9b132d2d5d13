// mysql-diagnostics on a real replication pair: two private mariadbd processes (primary with a
// binary log, replica following it) for checklist items 1–3: threads, errors, lag, read_only.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type mysql from 'mysql2/promise';
import createMysqlDiagnostics from '../../plugins/mysql-diagnostics/src/index.js';
import { binarySkip } from '../helpers/services.js';
import { codes, diagnoser, find, until } from './harness.js';
import { startPrivateMariadb, type PrivateMariadb } from './mysql-server.js';

const diagnose = diagnoser(createMysqlDiagnostics, { windowMs: 500, categories: ['replication'] });

async function replicaStatus(c: mysql.Connection): Promise<Record<string, unknown>> {
  const [rows] = await c.query('SHOW SLAVE STATUS');
  return (rows as Array<Record<string, unknown>>)[0] ?? {};
}

describe('a private MariaDB primary and replica', { skip: binarySkip('mariadbd', 'mariadb-server') }, () => {
  let primary: PrivateMariadb;
  let replica: PrivateMariadb;
  let p: mysql.Connection;
  let r: mysql.Connection;
  before(async () => {
    // Statement-based logging makes the replica re-run SLEEP(), which is how the lag test lags.
    // allSettled: when one fails to start, the other is still stopped in after().
    const [a, b] = await Promise.allSettled([startPrivateMariadb(['--log-bin=mysql-bin', '--server-id=1', '--binlog-format=STATEMENT']), startPrivateMariadb(['--server-id=2'])]);
    if (a.status === 'fulfilled') primary = a.value;
    if (b.status === 'fulfilled') replica = b.value;
    if (a.status === 'rejected') throw a.reason;
    if (b.status === 'rejected') throw b.reason;
    p = await primary.connect();
    r = await replica.connect();
    await p.query('CREATE TABLE t (id INT PRIMARY KEY, v INT) ENGINE=InnoDB');
    await r.query(`CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=${primary.port}, MASTER_USER='root', MASTER_CONNECT_RETRY=1`);
    await r.query('START SLAVE');
    await until('the replica to run and copy the table', async () => {
      const s = await replicaStatus(r);
      const [tables] = await r.query("SHOW TABLES FROM test LIKE 't'");
      return s.Slave_IO_Running === 'Yes' && s.Slave_SQL_Running === 'Yes' && (tables as unknown[]).length === 1;
    });
  });
  after(async () => {
    await p?.end().catch(() => undefined);
    await r?.end().catch(() => undefined);
    await replica?.stop();
    await primary?.stop();
  });

  test('a running replica that accepts writes: read_only off is a warning, threads are fine', async () => {
    const res = await diagnose(replica.url);
    assert.ok(find(res, 'MYSQL_REPLICA_NOT_READ_ONLY'), codes(res).join());
    assert.equal(find(res, 'MYSQL_REPLICA_NOT_READ_ONLY')!.severity, 'warning');
    assert.ok(!codes(res).some((c) => /NOT_RUNNING|LAG/.test(c)), codes(res).join());
    assert.equal(res.metrics.replica_lag_seconds, 0);
    await r.query('SET GLOBAL read_only = ON');
    try {
      assert.deepEqual(codes(await diagnose(replica.url)), []);
    } finally {
      await r.query('SET GLOBAL read_only = OFF');
    }
    // The primary is not a replica.
    assert.ok(codes(await diagnose(primary.url)).includes('MYSQL_NOT_A_REPLICA'));
  });

  test('lag from a slow statement is measured across the window and seen growing', async () => {
    // The primary takes 6 s; the replica starts the same 6 s once the event arrives, so it lags, and
    // long enough that the 1.2 s window still sees it growing on a loaded machine (3 s was short once).
    await p.query('INSERT INTO t VALUES (100, SLEEP(6))');
    await until('the replica to apply the slow statement', async () => Number((await replicaStatus(r)).Seconds_Behind_Master) >= 1);
    const res = await diagnose(replica.url, { replica_lag_warning_seconds: 1, replica_lag_critical_seconds: 600 }, 1200);
    const lag = find(res, 'MYSQL_REPLICA_LAG');
    assert.ok(lag, `${codes(res).join()} ${JSON.stringify(res.metrics)}`);
    assert.equal(lag.evidence.trend, 'growing', JSON.stringify(lag.evidence));
    assert.equal(lag.severity, 'critical'); // above the warning level and not recovering
    await until('the replica to catch up', async () => Number((await replicaStatus(r)).Seconds_Behind_Master) === 0);
  });

  test('a replication error stops the SQL thread: critical with the error', async () => {
    await r.query('INSERT INTO t VALUES (1, 0)'); // diverge: the replica already has id 1
    await p.query('INSERT INTO t VALUES (1, 1)');
    await until('the SQL thread to stop', async () => (await replicaStatus(r)).Slave_SQL_Running === 'No');
    const res = await diagnose(replica.url);
    const f = find(res, 'MYSQL_REPLICA_SQL_NOT_RUNNING');
    assert.ok(f, codes(res).join());
    assert.equal(f.severity, 'critical');
    assert.match(String(f.evidence.last_sql_error), /Duplicate entry/);
    assert.equal(res.status, 'critical');
  });

  test('the primary goes away: the IO thread is not running, critical', async () => {
    await primary.stop();
    await until('the IO thread to notice', async () => (await replicaStatus(r)).Slave_IO_Running !== 'Yes');
    const res = await diagnose(replica.url);
    const f = find(res, 'MYSQL_REPLICA_IO_NOT_RUNNING');
    assert.ok(f, codes(res).join());
    assert.equal(f.severity, 'critical');
    assert.match(String(f.evidence.source), new RegExp(`127\\.0\\.0\\.1:${primary.port}`));
  });
});
