// postgres-diagnostics on what check_postgres and pghero catch and it used to miss, on a private
// PostgreSQL 15 with autovacuum off (as the shared server runs): dead rows in a never-analyzed
// table, sequential scans without pg_stat_statements, connections refused to applications.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import createPostgresDiagnostics from '../../plugins/postgres-diagnostics/src/index.js';
import { codes, diagnoser, expectFinding, find } from './harness.js';
import { postgresBinariesSkip, startPrivatePostgres, type PrivatePostgres } from './postgres-server.js';

const diagnose = diagnoser(createPostgresDiagnostics, { windowMs: 1000 });

describe('a private PostgreSQL 15 with autovacuum off', { skip: postgresBinariesSkip() }, () => {
  let srv: PrivatePostgres;
  let admin: pg.Client;
  before(async () => {
    srv = await startPrivatePostgres({ autovacuum: 'off', max_connections: 12, shared_preload_libraries: 'pg_stat_statements' });
    admin = await srv.client();
  });
  after(async () => {
    await admin?.end().catch(() => undefined);
    await srv?.stop();
  });

  test('autovacuum off is a warning; a never-analyzed table of mostly dead rows is reported from pg_stat_user_tables', async () => {
    const fresh = await diagnose(srv.url, {}, 200, ['vacuum']);
    expectFinding(fresh, 'PG_AUTOVACUUM_OFF', 'warning');
    assert.equal(find(fresh, 'PG_DEAD_TUPLES'), undefined, 'no table yet');
    await admin.query('CREATE TABLE churn (id int, pad text)');
    await admin.query("INSERT INTO churn SELECT g, 'row ' || g FROM generate_series(1, 300000) g");
    await admin.query('DELETE FROM churn WHERE id % 20 <> 0');
    // Statistics reach the shared counters when the backend next reports (at most once a second unless forced).
    await admin.query('SELECT pg_stat_force_next_flush()');
    await admin.query('SELECT 1');
    try {
      const r = await diagnose(srv.url, { dead_tuples_min_table_bytes: 1_000_000 }, 200, ['vacuum', 'bloat']);
      const f = expectFinding(r, 'PG_DEAD_TUPLES', 'critical');
      const t = (f.evidence.tables as Array<{ table: string; dead_tuples: number; dead_ratio: number; last_analyze: string | null; last_autovacuum: string | null }>)[0]!;
      assert.equal(t.table, 'public.churn');
      assert.equal(t.dead_tuples, 285_000);
      assert.ok(t.dead_ratio >= 0.94, JSON.stringify(t));
      assert.equal(t.last_analyze, null, 'never analyzed: the estimate from pg_stats could not see it');
      assert.equal(t.last_autovacuum, null);
      assert.equal(find(r, 'PG_TABLE_BLOAT'), undefined, 'the pg_stats bloat estimate skips never-analyzed tables');
      // Below the table-size floor the same table is not judged.
      const small = await diagnose(srv.url, { dead_tuples_min_table_bytes: 1e12 }, 200, ['vacuum']);
      assert.equal(find(small, 'PG_DEAD_TUPLES'), undefined);
      await admin.query('VACUUM churn');
      await admin.query('SELECT pg_stat_force_next_flush()');
      await admin.query('SELECT 1');
      const vacuumed = await diagnose(srv.url, { dead_tuples_min_table_bytes: 1_000_000 }, 200, ['vacuum']);
      assert.equal(find(vacuumed, 'PG_DEAD_TUPLES'), undefined, codes(vacuumed).join());
    } finally {
      await admin.query('DROP TABLE churn');
    }
  });

  test('repeated sequential scans of a large table during the window, without pg_stat_statements (preloaded: CREATE EXTENSION is the advice)', async () => {
    await admin.query('CREATE TABLE scanned (id int, pad text)');
    await admin.query("INSERT INTO scanned SELECT g, 'v' || g FROM generate_series(1, 150000) g");
    await admin.query('CREATE TABLE indexed (id int PRIMARY KEY)');
    await admin.query('INSERT INTO indexed SELECT generate_series(1, 150000)');
    await admin.query('SELECT pg_stat_force_next_flush()');
    await admin.query('SELECT 1');
    const scanner = await srv.client();
    let stop = false;
    const scans = (async () => {
      while (!stop) {
        await scanner.query("SELECT count(*) FROM scanned WHERE pad = 'v7'");
        await scanner.query('SELECT id FROM indexed WHERE id = 7');
      }
    })();
    try {
      const r = await diagnose(srv.url, {}, 2500, ['queries']);
      const missing = expectFinding(r, 'PG_STAT_STATEMENTS_MISSING', 'info');
      assert.match(missing.suggestion, /CREATE EXTENSION pg_stat_statements/);
      assert.doesNotMatch(missing.suggestion, /\(restart\)|Add pg_stat_statements/);
      const f = expectFinding(r, 'PG_SEQ_SCANS', 'warning');
      const tables = f.evidence.tables as Array<{ table: string; seq_scans_in_window: number; seq_rows_read_in_window: number }>;
      assert.deepEqual(
        tables.map((t) => t.table),
        ['public.scanned'],
        'the table read by index is not flagged',
      );
      assert.ok(tables[0]!.seq_scans_in_window >= 2 && tables[0]!.seq_rows_read_in_window >= 300_000, JSON.stringify(tables));
    } finally {
      stop = true;
      await scans;
      await scanner.end();
    }
    // The scans stopped: what the counters hold since start is info only.
    const quiet = await diagnose(srv.url, {}, 1200, ['queries']);
    assert.equal(find(quiet, 'PG_SEQ_SCANS'), undefined, codes(quiet).join());
    expectFinding(quiet, 'PG_SEQ_SCANS_PAST', 'info');
    await admin.query('DROP TABLE scanned, indexed');
  });

  test('connections: the usable limit is max_connections minus the reserved slots; when applications are refused it is critical', async () => {
    // 12 − 3 reserved = 9 slots for applications: admin + 8 held fill them.
    const held: pg.Client[] = [];
    await admin.query('CREATE ROLE app LOGIN');
    try {
      for (let i = 0; i < 8; i++) held.push(await srv.client());
      const app = new pg.Client({ host: '127.0.0.1', port: srv.port, user: 'app', database: 'postgres' });
      app.on('error', () => undefined);
      await assert.rejects(app.connect(), /reserved/);
      const r = await diagnose(srv.url, {}, 200, ['connections']);
      const f = expectFinding(r, 'PG_CONNECTIONS_HIGH', 'critical');
      assert.equal(f.evidence.connections, 9, "the diagnosis's own connection is not counted");
      assert.equal(f.evidence.usable_connections, 9);
      assert.equal(f.evidence.refusing, true);
      await held.pop()!.end();
      await held.pop()!.end();
      const below = await diagnose(srv.url, {}, 200, ['connections']);
      assert.equal(find(below, 'PG_CONNECTIONS_HIGH'), undefined, '7 of 9 is under 90%');
    } finally {
      await Promise.all(held.map((c) => c.end()));
      await admin.query('DROP ROLE app');
    }
  });
});
