// One connection to one PostgreSQL server: connect, sample counters across the window, run the
// checks (a failing check becomes an info finding), and the whitelisted actions.
import pg from 'pg';
import {
  beginDiagnosis,
  connectError,
  errorReason,
  finding,
  notConnectedError,
  runChecks,
  sampleOverWindow,
  samplingWindow,
  unknownCategoriesFinding,
  type DiagnoseOptions,
  type DiagnosticResult,
  type DiagnosticsSession,
  type DiagnosticTarget,
  type Finding,
} from 'plugway/sdk';
import type { PostgresDiagnosticsConfig } from './config.js';
import { CATEGORIES, CHECKS } from './checks/index.js';
import { parseTarget } from './target.js';
import type { CheckInput, Row, Sample, ServerInfo } from './types.js';

export const PLUGIN_ID = 'postgres-diagnostics';

const DB_FIELDS = [
  'numbackends',
  'xact_commit',
  'xact_rollback',
  'blks_read',
  'blks_hit',
  'tup_returned',
  'tup_fetched',
  'tup_inserted',
  'tup_updated',
  'tup_deleted',
  'conflicts',
  'temp_files',
  'temp_bytes',
  'deadlocks',
];

export class PostgresSession implements DiagnosticsSession {
  private lastMetrics: Record<string, number> = {};

  private constructor(
    private client: pg.Client | undefined,
    /** user@host:port/db, without the password. */
    readonly label: string,
    private readonly config: PostgresDiagnosticsConfig,
  ) {}

  static async open(target: DiagnosticTarget | string, config: PostgresDiagnosticsConfig): Promise<PostgresSession> {
    const parsed = parseTarget(target, config.connect_timeout_ms, config.statement_timeout_ms);
    const client = new pg.Client(parsed.options);
    // A dropped connection must not become an unhandled 'error' event that kills the process.
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (err) {
      await client.end().catch(() => undefined);
      throw connectError(parsed.display, err);
    }
    return new PostgresSession(client, parsed.display, config);
  }

  async close(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    if (c) await c.end().catch(() => undefined);
  }

  async query(sql: string, params?: unknown[]): Promise<Row[]> {
    if (!this.client) throw notConnectedError(PLUGIN_ID);
    const res = await this.client.query(sql, params as unknown[] | undefined);
    return res.rows as Row[];
  }

  private async sample(): Promise<Sample> {
    const at = Date.now();
    const [db] = await this.query(`SELECT ${DB_FIELDS.map((f) => `${f}::float8 AS ${f}`).join(', ')} FROM pg_stat_database WHERE datname = current_database()`);
    const s: Sample = { at, db: {} };
    for (const f of DB_FIELDS) s.db[f] = Number(db?.[f]);
    const [archiver] = await this.query(
      'SELECT archived_count::float8 AS archived_count, failed_count::float8 AS failed_count, last_failed_wal, last_failed_time::text AS last_failed_time, last_archived_time::text AS last_archived_time FROM pg_stat_archiver',
    );
    s.archiver = archiver;
    s.tables = new Map();
    const tables = await this.query(
      `SELECT relid::text AS relid, schemaname, relname, seq_scan::float8 AS seq_scan, seq_tup_read::float8 AS seq_tup_read,
              coalesce(idx_scan, 0)::float8 AS idx_scan, n_live_tup::float8 AS n_live_tup
         FROM pg_stat_user_tables`,
    );
    for (const t of tables) s.tables.set(String(t.relid), t);
    return s;
  }

  /** pg_stat_statements calls when the window opens, so the statements check can tell what ran during it. */
  private async statementCalls(): Promise<Map<string, number> | undefined> {
    try {
      const ext = await this.query("SELECT n.nspname AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_stat_statements'");
      if (ext.length === 0) return undefined;
      const schema = String(ext[0]!.schema).replace(/"/g, '""');
      const rows = await this.query(`SELECT userid::text || '|' || dbid::text || '|' || queryid::text AS key, calls::float8 AS calls FROM "${schema}".pg_stat_statements`);
      return new Map(rows.map((r) => [String(r.key), Number(r.calls)]));
    } catch {
      return undefined; // the statements check says why it cannot read them
    }
  }

  async diagnose(options: DiagnoseOptions = {}, signal?: AbortSignal): Promise<DiagnosticResult> {
    const clock = beginDiagnosis(PLUGIN_ID, this.label);
    if (!this.client) throw notConnectedError(PLUGIN_ID);
    const { windowMs, samples: count } = samplingWindow(options, this.config);
    const wanted = (options.categories ?? []).filter(Boolean);
    const findings: Finding[] = [];
    const unknown = unknownCategoriesFinding('PG_UNKNOWN_CATEGORY', wanted, CATEGORIES);
    if (unknown) findings.push(unknown);
    const settings: Record<string, string> = {};
    for (const r of await this.query('SELECT name, setting FROM pg_settings')) settings[String(r.name)] = String(r.setting);
    const [info] = await this.query("SELECT version() AS version, current_setting('server_version_num')::int AS num, pg_is_in_recovery() AS recovery, current_database() AS db");
    const server: ServerInfo = { version: String(info!.version), versionNum: Number(info!.num), inRecovery: info!.recovery === true, database: String(info!.db) };
    const statementsBefore = await this.statementCalls();
    const samples = await sampleOverWindow(() => this.sample(), { windowMs, samples: count, signal });
    const metrics: Record<string, number> = {};
    const input: CheckInput = { query: (sql, p) => this.query(sql, p), settings, samples, config: this.config, server, metrics, statementsBefore };
    // Privileges, missing extensions or version differences: say why, never crash or skip silently.
    const checks = await runChecks(CHECKS, input, {
      categories: wanted,
      unavailable: (check, err) =>
        finding(
          check.category,
          'info',
          'PG_CHECK_UNAVAILABLE',
          `The ${check.name} check could not run: ${errorReason(err)}`,
          { check: check.name, error: errorReason(err), sqlstate: (err as { code?: string }).code },
          'Grant the diagnostics user pg_monitor (pg_read_all_stats, pg_read_all_settings), or run it as a superuser.',
        ),
    });
    findings.push(...checks.findings);
    const seconds = (samples[samples.length - 1]!.at - samples[0]!.at) / 1000 || 1;
    const d = (f: string) => Math.max(0, (samples[samples.length - 1]!.db[f] ?? 0) - (samples[0]!.db[f] ?? 0));
    metrics.commits_per_second = Math.round((d('xact_commit') / seconds) * 100) / 100;
    metrics.rollbacks_per_second = Math.round((d('xact_rollback') / seconds) * 100) / 100;
    metrics.deadlocks_in_window = d('deadlocks');
    metrics.temp_bytes_per_second = Math.round(d('temp_bytes') / seconds);
    this.lastMetrics = metrics;
    return clock.result({
      findings,
      metrics,
      server: { version: server.version, version_num: server.versionNum, in_recovery: server.inRecovery, database: server.database, window_ms: windowMs, samples: count },
      noneRan: checks.noneRan,
    });
  }

  /** Point-in-time metrics without a window, over the last diagnosis' ones. */
  async metrics(): Promise<Record<string, number>> {
    const [r] = await this.query(
      `SELECT (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')::int AS connections,
              current_setting('max_connections')::int AS max_connections,
              (SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction')::int AS idle_in_transaction,
              (SELECT count(*) FROM pg_locks)::int AS locks,
              (SELECT blks_hit::float8 / nullif(blks_hit + blks_read, 0) FROM pg_stat_database WHERE datname = current_database()) AS cache_hit_ratio`,
    );
    const out: Record<string, number> = { ...this.lastMetrics };
    for (const [k, v] of Object.entries(r ?? {})) if (v !== null) out[k] = Number(v);
    return out;
  }
}
