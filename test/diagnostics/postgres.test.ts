// postgres-diagnostics against real PostgreSQL 15: a private server on a free port (small
// max_connections and shared_buffers, pg_stat_statements preloaded, prepared transactions on)
// for each induced condition, and the shared one (read-only) for what it lacks.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type pg from 'pg';
import type { DiagnosticResult, DiagnosticsPlugin, PluginContext } from 'plugway/sdk';
import createPostgresDiagnostics, { ACTIONS, DEFAULT_CONFIG } from '../../plugins/postgres-diagnostics/src/index.js';
import { serviceSkip } from '../helpers/services.js';
import { assertHealthy, assertManifestMatches, assertResultShape, codes, ctxOf, diagnoser, find, plugwayDiagnose, until } from './harness.js';
import { postgresBinariesSkip, startPrivatePostgres, type PrivatePostgres } from './postgres-server.js';

type Cfg = Partial<typeof DEFAULT_CONFIG>;
const ctx = (config: Cfg = {}) => ctxOf(config);
const diagnose = diagnoser(createPostgresDiagnostics, { windowMs: 1000 });
const assertShape = (r: DiagnosticResult) => assertResultShape(r, 'postgres-diagnostics', 'PG_');

test('plugin.yaml declares every threshold with the same default as the code', () => {
  assertManifestMatches('postgres-diagnostics', { actions: ACTIONS, defaults: DEFAULT_CONFIG });
});

describe('a private PostgreSQL 15', { skip: postgresBinariesSkip() }, () => {
  let srv: PrivatePostgres;
  let admin: pg.Client;
  before(async () => {
    srv = await startPrivatePostgres({ max_connections: 12, shared_buffers: '128kB', shared_preload_libraries: 'pg_stat_statements', max_prepared_transactions: 5 });
    admin = await srv.client();
  });
  after(async () => {
    await admin?.end().catch(() => undefined);
    await srv?.stop();
  });

  test('a fresh, idle server is healthy: no warning or critical finding', async () => {
    const r = await diagnose(srv.url);
    assertShape(r);
    assertHealthy(r);
    assert.ok(codes(r).includes('PG_NOT_A_REPLICA'));
    assert.ok(codes(r).includes('PG_STAT_STATEMENTS_MISSING'));
    assert.equal(r.metrics.max_connections, 12);
    const cli = await plugwayDiagnose(['postgres', srv.url, '--json', '--window', '300ms']);
    assert.equal(cli.code, 0, cli.stdout + cli.stderr);
  });

  test('a session idle in a transaction', async () => {
    const c = await srv.client();
    try {
      await c.query('BEGIN');
      await c.query('SELECT 1');
      const r = await diagnose(srv.url, { idle_in_transaction_warning_seconds: 0.5 }, 800, ['activity']);
      const f = find(r, 'PG_IDLE_IN_TRANSACTION');
      assert.ok(f, codes(r).join());
      assert.equal(f.severity, 'warning');
      assert.equal(f.evidence.count, 1);
    } finally {
      await c.end();
    }
  });

  test('a long query (pg_sleep), cancelled only when destructive actions are enabled', async () => {
    const c = await srv.client();
    try {
      const [{ pid }] = (await c.query('SELECT pg_backend_pid() AS pid')).rows as Array<{ pid: number }>;
      const sleeping = c.query('SELECT pg_sleep(30)').catch((e: Error) => e);
      await until('pg_sleep to be active', async () => (await admin.query("SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND state = 'active'", [pid])).rowCount === 1);
      const r = await diagnose(srv.url, { long_query_warning_seconds: 1 }, 1200, ['activity']);
      const f = find(r, 'PG_LONG_QUERY');
      assert.ok(f, codes(r).join());
      assert.match(JSON.stringify(f.evidence), /pg_sleep/);
      const safe = createPostgresDiagnostics({});
      await safe.connect({ url: srv.url }, ctx());
      await assert.rejects(
        async () => safe.execute!('cancel-backend', { pid }, ctx()),
        (e: { code?: string }) => e.code === 'PLW_ERR_ACTION_DESTRUCTIVE',
      );
      await safe.disconnect(ctx());
      const allowed = createPostgresDiagnostics({ allow_destructive: true });
      await allowed.connect({ url: srv.url }, ctx());
      assert.deepEqual(await allowed.execute!('cancel-backend', { pid }, ctx()), { cancelled: true, pid });
      await allowed.disconnect(ctx());
      const err = await sleeping;
      assert.ok(err instanceof Error && /cancel/i.test(err.message), String(err));
    } finally {
      await c.end();
    }
  });

  test('connection saturation is critical', async () => {
    const held: pg.Client[] = [];
    try {
      // 12 slots: admin + 10 held + the plugin's own = 12.
      for (let i = 0; i < 10; i++) held.push(await srv.client());
      const r = await diagnose(srv.url, {}, 200, ['connections']);
      const f = find(r, 'PG_CONNECTIONS_HIGH');
      assert.ok(f, codes(r).join());
      assert.equal(f.severity, 'critical');
      assert.equal(r.status, 'critical');
    } finally {
      await Promise.all(held.map((c) => c.end()));
    }
  });

  test('a low cache hit ratio while a table larger than shared_buffers is scanned', async () => {
    await admin.query('CREATE TABLE big AS SELECT g AS id, repeat(md5(g::text), 4) AS pad FROM generate_series(1, 40000) g');
    const scanner = await srv.client();
    let stop = false;
    const scans = (async () => {
      while (!stop) await scanner.query('SELECT count(*) FROM big');
    })();
    try {
      // Backends flush their statistics at most once a second: sample once the scanner's first flush shows.
      await until('the scans of big in pg_stat_user_tables', async () => Number((await admin.query("SELECT seq_scan FROM pg_stat_user_tables WHERE relname = 'big'")).rows[0]?.seq_scan ?? 0) > 0);
      const r = await diagnose(srv.url, {}, 2500, ['cache']);
      const f = find(r, 'PG_CACHE_HIT_LOW');
      assert.ok(f, `${codes(r).join()} ${JSON.stringify(r.metrics)}`);
      assert.equal(f.evidence.basis, 'window');
      assert.equal(f.severity, 'warning');
      assert.ok(Number(f.evidence.ratio) < 0.99);
    } finally {
      stop = true;
      await scans;
      await scanner.end();
      await admin.query('DROP TABLE big');
    }
  });

  test('pg_stat_statements: slow statements ranked, then reset by the action', async () => {
    await admin.query('CREATE EXTENSION pg_stat_statements');
    const clients = await Promise.all([1, 2, 3, 4].map(() => srv.client()));
    try {
      await Promise.all(
        clients.map(async (c) => {
          for (let i = 0; i < 26; i++) await c.query('SELECT pg_sleep(0.025)');
        }),
      );
      const p = createPostgresDiagnostics({});
      await p.connect({ url: srv.url }, ctx());
      const r = await p.diagnose({ windowMs: 200, categories: ['queries'] }, ctx());
      const slow = find(r, 'PG_SLOW_STATEMENTS');
      assert.ok(slow, codes(r).join());
      const s = (slow.evidence.statements as Array<{ calls: number; mean_ms: number; query: string }>)[0]!;
      assert.match(s.query, /pg_sleep/);
      assert.ok(s.calls >= 100 && s.mean_ms >= 20);
      assert.ok(codes(r).includes('PG_TOP_STATEMENTS'));
      // They all ran before the window: history, info.
      assert.equal(slow.severity, 'info');
      // One more run during the window makes it current: a warning.
      let done = false;
      const during = p.diagnose({ windowMs: 1000, categories: ['queries'] }, ctx()).finally(() => (done = true));
      while (!done) await clients[0]!.query('SELECT pg_sleep(0.025)');
      const current = find(await during, 'PG_SLOW_STATEMENTS');
      assert.equal(current?.severity, 'warning', JSON.stringify(current));
      assert.equal(current?.evidence.ran_in_window, 1);
      assert.deepEqual(await p.execute!('pg_stat_statements_reset', {}, ctx()), { reset: true });
      const again = await p.diagnose({ windowMs: 100, categories: ['queries'] }, ctx());
      assert.equal(find(again, 'PG_SLOW_STATEMENTS'), undefined);
      await p.disconnect(ctx());
    } finally {
      await Promise.all(clients.map((c) => c.end()));
    }
  });

  test('WAL segments held beyond max_wal_size (wal_keep_size): PG_WAL_FILES by the 10/15 thresholds; a role without pg_monitor gets an info finding', async () => {
    const c = await srv.client();
    try {
      await c.query("ALTER SYSTEM SET max_wal_size = '32MB'");
      await c.query("ALTER SYSTEM SET min_wal_size = '32MB'");
      await c.query("ALTER SYSTEM SET wal_keep_size = '1GB'");
      await c.query('SELECT pg_reload_conf()');
      await c.query('CREATE TABLE IF NOT EXISTS wal_fill (i int)');
      for (let i = 0; i < 16; i++) {
        await c.query('INSERT INTO wal_fill SELECT generate_series(1, 100)');
        await c.query('SELECT pg_switch_wal()');
      }
      await c.query('CHECKPOINT');
      const r = await diagnose(srv.url, {}, 200, ['maintenance']);
      const f = find(r, 'PG_WAL_FILES');
      assert.ok(f, codes(r).join());
      assert.ok((f.evidence.wal_files as number) >= 15, JSON.stringify(f.evidence));
      assert.equal(f.severity, 'critical');
      assert.equal(r.metrics.wal_files, f.evidence.wal_files);
      // The same count within max_wal_size is what checkpoints keep: info, not a warning.
      await c.query("ALTER SYSTEM SET max_wal_size = '1GB'");
      await c.query('SELECT pg_reload_conf()');
      await until('max_wal_size to be 1GB', async () => (await c.query("SELECT current_setting('max_wal_size') AS v")).rows[0].v === '1GB');
      const within = find(await diagnose(srv.url, {}, 200, ['maintenance']), 'PG_WAL_FILES');
      assert.equal(within?.severity, 'info');
      // pg_ls_waldir() needs pg_monitor (or a superuser).
      await c.query('CREATE ROLE plw_nomonitor LOGIN');
      const denied = await diagnose(srv.url.replace('postgres@', 'plw_nomonitor@'), {}, 200, ['maintenance']);
      const unavailable = denied.findings.find((x) => x.code === 'PG_CHECK_UNAVAILABLE' && x.evidence.check === 'wal files');
      assert.ok(unavailable, JSON.stringify(denied.findings));
      assert.equal(find(denied, 'PG_WAL_FILES'), undefined);
    } finally {
      await c.query('DROP ROLE IF EXISTS plw_nomonitor').catch(() => undefined);
      for (const k of ['max_wal_size', 'min_wal_size', 'wal_keep_size']) await c.query(`ALTER SYSTEM RESET ${k}`).catch(() => undefined);
      await c.query('SELECT pg_reload_conf()').catch(() => undefined);
      await c.query('DROP TABLE IF EXISTS wal_fill').catch(() => undefined);
      await c.query('CHECKPOINT').catch(() => undefined);
      await c.end();
    }
  });

  test('a prepared transaction left open', async () => {
    const c = await srv.client();
    try {
      await c.query('BEGIN');
      await c.query('CREATE TABLE prepared_x (i int)');
      await c.query("PREPARE TRANSACTION 'plugway-test'");
      const r = await diagnose(srv.url, {}, 1100, ['maintenance']);
      const f = find(r, 'PG_PREPARED_TRANSACTION');
      assert.ok(f, codes(r).join());
      assert.equal(f.severity, 'warning');
    } finally {
      await c.query("ROLLBACK PREPARED 'plugway-test'").catch(() => undefined);
      await c.end();
    }
  });

  test('a sequence near its limit, invalid and duplicate indexes, an inactive slot, a lock wait', async () => {
    await admin.query('CREATE SEQUENCE nearly MAXVALUE 100');
    await admin.query("SELECT setval('nearly', 97)");
    await admin.query('CREATE TABLE dupes (a int, b int)');
    await admin.query('INSERT INTO dupes VALUES (1, 1), (1, 2)');
    await admin.query('CREATE INDEX dupes_b1 ON dupes (b)');
    await admin.query('CREATE INDEX dupes_b2 ON dupes (b)');
    // A failed CREATE INDEX CONCURRENTLY leaves an invalid index behind.
    await admin.query('CREATE UNIQUE INDEX CONCURRENTLY dupes_a ON dupes (a)').catch(() => undefined);
    await admin.query("SELECT pg_create_physical_replication_slot('plugway_idle', true)");
    const a = await srv.client();
    const b = await srv.client();
    try {
      await a.query('BEGIN');
      await a.query('LOCK TABLE dupes IN ACCESS EXCLUSIVE MODE');
      const [{ pid }] = (await b.query('SELECT pg_backend_pid() AS pid')).rows as Array<{ pid: number }>;
      const waiting = b.query('SELECT count(*) FROM dupes').catch((e: Error) => e);
      await until('the lock wait', async () => (await admin.query('SELECT 1 FROM pg_locks WHERE pid = $1 AND NOT granted', [pid])).rowCount === 1);
      const r = await diagnose(srv.url, { lock_wait_warning_seconds: 0.5 }, 800);
      assertShape(r);
      assert.equal(find(r, 'PG_SEQUENCE_EXHAUSTION')?.severity, 'critical', codes(r).join());
      assert.ok(find(r, 'PG_INVALID_INDEX'), codes(r).join());
      assert.match(JSON.stringify(find(r, 'PG_DUPLICATE_INDEX')?.evidence), /dupes_b1.*dupes_b2/);
      assert.match(JSON.stringify(find(r, 'PG_INACTIVE_REPLICATION_SLOT')?.evidence), /plugway_idle/);
      const lock = find(r, 'PG_LOCK_WAITS');
      assert.ok(lock, codes(r).join());
      assert.match(JSON.stringify(lock.evidence), /dupes/);
      await a.query('COMMIT');
      await waiting;
    } finally {
      await a.end();
      await b.end();
      await admin.query("SELECT pg_drop_replication_slot('plugway_idle')");
      await admin.query('DROP TABLE dupes; DROP SEQUENCE nearly');
    }
  });

  test('table bloat estimated from pg_class and pg_stats', async () => {
    await admin.query('CREATE TABLE bloated (id int, pad text) WITH (autovacuum_enabled = false)');
    await admin.query("INSERT INTO bloated SELECT g, repeat('x', 100) FROM generate_series(1, 50000) g");
    await admin.query('DELETE FROM bloated WHERE id % 10 <> 0');
    await admin.query('ANALYZE bloated');
    try {
      const r = await diagnose(srv.url, { table_bloat_warning_bytes: 1_000_000, table_bloat_critical_bytes: 1e12 }, 100, ['bloat']);
      const f = find(r, 'PG_TABLE_BLOAT');
      assert.ok(f, `${codes(r).join()} ${JSON.stringify(r.metrics)}`);
      const t = (f.evidence.tables as Array<{ table: string; bloat_bytes: number; size_bytes: number }>)[0]!;
      assert.equal(t.table, 'public.bloated');
      // 90% of the rows are gone: most of the table is waste.
      assert.ok(t.bloat_bytes > 0.7 * t.size_bytes, JSON.stringify(t));
    } finally {
      await admin.query('DROP TABLE bloated');
    }
  });

  test('actions: explain a SELECT, refuse anything else', async () => {
    const p = createPostgresDiagnostics({});
    await p.connect({ url: srv.url }, ctx());
    try {
      const res = (await p.execute!('explain', { sql: 'SELECT * FROM pg_class WHERE oid = 1' }, ctx())) as { plan: unknown };
      assert.match(JSON.stringify(res.plan), /Plan/);
      await assert.rejects(
        async () => p.execute!('explain', { sql: 'DROP TABLE x' }, ctx()),
        (e: { code?: string }) => e.code === 'PLW_ERR_BAD_REQUEST',
      );
      await assert.rejects(
        async () => p.execute!('vacuum-full', {}, ctx()),
        (e: { code?: string }) => e.code === 'PLW_ERR_ACTION_NOT_ALLOWED',
      );
      await assert.rejects(
        async () => p.execute!('terminate-backend', { pid: 1 }, ctx()),
        (e: { code?: string }) => e.code === 'PLW_ERR_ACTION_DESTRUCTIVE',
      );
      // Stopping the plugin (ctx.signal) ends a diagnosis in its sampling window at once.
      const ac = new AbortController();
      const running = p.diagnose({ windowMs: 60_000 }, { config: {}, signal: ac.signal } as unknown as PluginContext<Cfg>);
      setTimeout(() => ac.abort(), 50);
      await assert.rejects(Promise.resolve(running), /aborted/);
      const m = await p.getMetrics(ctx());
      assert.equal(m.max_connections, 12);
      assert.ok(m.connections! >= 1);
    } finally {
      await p.disconnect(ctx());
    }
  });
});

describe('the shared PostgreSQL (read-only use)', () => {
  test('handleRequest answers a DiagnosticResult; bad bodies get 400', async (t) => {
    const skip = await serviceSkip('postgres');
    if (skip) return t.skip(skip);
    const p = createPostgresDiagnostics({}) as DiagnosticsPlugin<Cfg>;
    const req = (body: unknown) => ({ id: 'r1', method: 'POST', path: '/diagnostics/postgres', params: {}, query: {}, headers: {}, body, context: {} });
    const ok = await p.handleRequest!(req({ target: 'postgres://postgres@127.0.0.1:5432/test', window: '300ms' }), ctx());
    assert.equal(ok.statusCode, 200);
    const r = ok.body as DiagnosticResult;
    assertShape(r);
    assert.equal(r.target, 'postgres@127.0.0.1:5432/test');
    assert.equal(r.findings.filter((f) => f.code === 'PG_CHECK_UNAVAILABLE').length, 0, JSON.stringify(r.findings));
    for (const bad of [null, [], { target: '' }, { target: 'x', window: -1 }, { target: 'x', samples: 1 }, { target: 'x', categories: ['nope'] }]) {
      const res = await p.handleRequest!(req(bad), ctx());
      assert.equal(res.statusCode, 400, JSON.stringify(bad));
      assert.equal((res.body as { error: { code: string } }).error.code, 'PLW_ERR_DIAG_BAD_REQUEST');
    }
    const wrongScheme = await p.handleRequest!(req({ target: 'redis://127.0.0.1:6379' }), ctx());
    assert.equal(wrongScheme.statusCode, 400);
    assert.equal((wrongScheme.body as { error: { code: string } }).error.code, 'PLW_ERR_DIAG_BAD_TARGET');
  });
});
