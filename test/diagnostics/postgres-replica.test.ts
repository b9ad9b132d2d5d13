// postgres-diagnostics on a real streaming pair: a private primary and a pg_basebackup standby,
// for checklist item 5 (replay lag with replay paused, the standby seen from the primary).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import createPostgresDiagnostics from '../../plugins/postgres-diagnostics/src/index.js';
import { codes, diagnoser, find, until } from './harness.js';
import { postgresBinariesSkip, startPrivatePostgres, type PrivatePostgres } from './postgres-server.js';

const diagnose = diagnoser(createPostgresDiagnostics, { windowMs: 500, categories: ['replication'] });

describe('a private PostgreSQL primary and streaming standby', { skip: postgresBinariesSkip() }, () => {
  let primary: PrivatePostgres;
  let standby: PrivatePostgres;
  let p: pg.Client;
  let s: pg.Client;
  const replayed = async () => (await s.query('SELECT pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() AS done')).rows[0].done === true;
  before(async () => {
    primary = await startPrivatePostgres();
    standby = await startPrivatePostgres({}, { standbyOf: primary.port });
    p = await primary.client();
    s = await standby.client();
    await p.query('CREATE TABLE ticks (at timestamptz DEFAULT now())');
    await p.query('INSERT INTO ticks DEFAULT VALUES');
    await until('the standby to stream and replay', async () => (await p.query("SELECT 1 FROM pg_stat_replication WHERE state = 'streaming'")).rowCount === 1 && (await replayed()));
  });
  after(async () => {
    await p?.end().catch(() => undefined);
    await s?.end().catch(() => undefined);
    await standby?.stop();
    await primary?.stop();
  });

  test('a caught-up standby has no lag finding; the primary sees its standby', async () => {
    const res = await diagnose(standby.url);
    assert.ok(!codes(res).some((c) => c === 'PG_REPLICA_LAG' || c === 'PG_WAL_RECEIVER_DOWN' || c === 'PG_NOT_A_REPLICA'), codes(res).join());
    assert.equal(res.metrics.replica_lag_seconds, 0);
    assert.equal(res.server?.in_recovery, true);
    const onPrimary = await diagnose(primary.url);
    assert.equal(onPrimary.metrics.standbys, 1);
    assert.ok(!codes(onPrimary).includes('PG_NOT_A_REPLICA'));
  });

  test('replay paused while the primary writes: lag and the pause are reported', async () => {
    await s.query('SELECT pg_wal_replay_pause()');
    try {
      await until('replay to pause', async () => (await s.query('SELECT pg_get_wal_replay_pause_state() AS st')).rows[0].st === 'paused');
      // Time passes since the last replayed transaction (lag is counted from it), then a write: the standby receives but does not replay.
      await until('1.5 s since the last replayed transaction', async () => Number((await s.query('SELECT extract(epoch FROM now() - pg_last_xact_replay_timestamp()) AS age')).rows[0].age) > 1.5);
      await p.query('INSERT INTO ticks DEFAULT VALUES');
      await until('the standby to receive the write', async () => !(await replayed()));
      const res = await diagnose(standby.url, { replica_lag_warning_seconds: 1 });
      const lag = find(res, 'PG_REPLICA_LAG');
      assert.ok(lag, `${codes(res).join()} ${JSON.stringify(res.metrics)}`);
      assert.equal(lag.severity, 'warning');
      assert.ok(Number(lag.evidence.lag_seconds) >= 1.5);
      assert.equal(find(res, 'PG_REPLAY_PAUSED')?.severity, 'warning');
    } finally {
      await s.query('SELECT pg_wal_replay_resume()');
    }
    await until('the standby to catch up', replayed);
    assert.ok(!codes(await diagnose(standby.url, { replica_lag_warning_seconds: 1 })).includes('PG_REPLICA_LAG'));
  });

  test('the primary stops: the standby has no WAL receiver, critical', async () => {
    await p.end();
    await primary.stop();
    await until('the WAL receiver to stop', async () => (await s.query('SELECT count(*)::int AS n FROM pg_stat_wal_receiver')).rows[0].n === 0);
    const res = await diagnose(standby.url);
    assert.equal(find(res, 'PG_WAL_RECEIVER_DOWN')?.severity, 'critical', codes(res).join());
  });
});
