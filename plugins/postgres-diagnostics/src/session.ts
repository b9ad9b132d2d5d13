// One connection to one PostgreSQL server: connect, sample counters across the window, run the
// checks (a failing check becomes an info finding), and the whitelisted actions.
import pg from 'pg';
import { statusFromFindings, type DiagnoseOptions, type DiagnosticResult, type DiagnosticTarget, type Finding } from 'plugway/sdk';
import { windowMsOf, type PostgresDiagnosticsConfig } from './config.js';
import { CATEGORIES, CHECKS } from './checks/index.js';
import { DiagnosticsError, reasonOf } from './errors.js';
import { parseTarget } from './target.js';
import { finding, type CheckInput, type Row, type Sample, type ServerInfo } from './types.js';

export const PLUGIN_ID = 'postgres-diagnostics';

const DB_FIELDS = ['numbackends', 'xact_commit', 'xact_rollback', 'blks_read', 'blks_hit', 'tup_returned', 'tup_fetched', 'tup_inserted', 'tup_updated', 'tup_deleted', 'conflicts', 'temp_files', 'temp_bytes', 'deadlocks'];

export class PostgresSession {
  private client?: pg.Client;
  private display = '';
  private lastMetrics: Record<string, number> = {};

  constructor(private readonly config: PostgresDiagnosticsConfig) {}

  async connect(target: DiagnosticTarget | string): Promise<void> {
    await this.disconnect();
    const parsed = parseTarget(target, this.config.connect_timeout_ms, this.config.statement_timeout_ms);
    this.display = parsed.display;
    const client = new pg.Client(parsed.options);
    // A dropped connection must not become an unhandled 'error' event that kills the process.
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (err) {
      await client.end().catch(() => undefined);
      throw new DiagnosticsError('PLW_ERR_DIAG_CONNECT', `Cannot connect to ${parsed.display}: ${reasonOf(err)}`, { cause: err });
    }
    this.client = client;
  }

  async disconnect(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    if (c) await c.end().catch(() => undefined);
  }

  async query(sql: string, params?: unknown[]): Promise<Row[]> {
    if (!this.client) throw new DiagnosticsError('PLW_ERR_DIAG_NOT_CONNECTED', `Plugin ${PLUGIN_ID} is not connected; call connect(target) first`);
    const res = await this.client.query(sql, params as unknown[] | undefined);
    return res.rows as Row[];
  }

  private async sample(): Promise<Sample> {
    const at = Date.now();
    const [db] = await this.query(`SELECT ${DB_FIELDS.map((f) => `${f}::float8 AS ${f}`).join(', ')} FROM pg_stat_database WHERE datname = current_database()`);
    const s: Sample = { at, db: {} };
    for (const f of DB_FIELDS) s.db[f] = Number(db?.[f]);
    const [archiver] = await this.query('SELECT archived_count::float8 AS archived_count, failed_count::float8 AS failed_count, last_failed_wal, last_failed_time::text AS last_failed_time, last_archived_time::text AS last_archived_time FROM pg_stat_archiver');
    s.archiver = archiver;
    return s;
  }

  async diagnose(options: DiagnoseOptions = {}, signal?: AbortSignal): Promise<DiagnosticResult> {
    const startedAt = new Date();
    const t0 = performance.now();
    if (!this.client) throw new DiagnosticsError('PLW_ERR_DIAG_NOT_CONNECTED', `Plugin ${PLUGIN_ID} is not connected; call connect(target) first`);
    const windowMs = Math.max(0, options.windowMs ?? windowMsOf(this.config));
    const count = Math.max(2, Math.floor(options.samples ?? this.config.samples));
    const wanted = (options.categories ?? []).filter(Boolean);
    const findings: Finding[] = [];
    const unknown = wanted.filter((c) => !CATEGORIES.includes(c));
    if (unknown.length) {
      findings.push(finding('server', 'info', 'PG_UNKNOWN_CATEGORY', `Unknown categor${unknown.length > 1 ? 'ies' : 'y'} ${unknown.join(', ')}: nothing checked for ${unknown.length > 1 ? 'them' : 'it'}.`,
        { unknown, categories: CATEGORIES }, `Use one of: ${CATEGORIES.join(', ')}.`));
    }
    const settings: Record<string, string> = {};
    for (const r of await this.query('SELECT name, setting FROM pg_settings')) settings[String(r.name)] = String(r.setting);
    const [info] = await this.query('SELECT version() AS version, current_setting(\'server_version_num\')::int AS num, pg_is_in_recovery() AS recovery, current_database() AS db');
    const server: ServerInfo = { version: String(info!.version), versionNum: Number(info!.num), inRecovery: info!.recovery === true, database: String(info!.db) };
    const samples: Sample[] = [await this.sample()];
    for (let i = 1; i < count; i++) {
      const due = samples[0]!.at + (windowMs * i) / (count - 1);
      await sleep(Math.max(0, due - Date.now()), signal);
      samples.push(await this.sample());
    }
    const metrics: Record<string, number> = {};
    const input: CheckInput = { query: (sql, p) => this.query(sql, p), settings, samples, config: this.config, server, metrics };
    const selected = CHECKS.filter((c) => wanted.length === 0 || wanted.includes(c.category));
    let ran = 0;
    for (const check of selected) {
      try {
        findings.push(...(await check.run(input)));
        ran++;
      } catch (err) {
        // Privileges, missing extensions or version differences: say why, never crash or skip silently.
        findings.push(finding(check.category, 'info', 'PG_CHECK_UNAVAILABLE', `The ${check.name} check could not run: ${reasonOf(err)}`,
          { check: check.name, error: reasonOf(err), sqlstate: (err as { code?: string }).code },
          'Grant the diagnostics user pg_monitor (pg_read_all_stats, pg_read_all_settings), or run it as a superuser.'));
      }
    }
    const seconds = (samples[samples.length - 1]!.at - samples[0]!.at) / 1000 || 1;
    const d = (f: string) => Math.max(0, (samples[samples.length - 1]!.db[f] ?? 0) - (samples[0]!.db[f] ?? 0));
    metrics.commits_per_second = Math.round((d('xact_commit') / seconds) * 100) / 100;
    metrics.rollbacks_per_second = Math.round((d('xact_rollback') / seconds) * 100) / 100;
    metrics.deadlocks_in_window = d('deadlocks');
    metrics.temp_bytes_per_second = Math.round(d('temp_bytes') / seconds);
    this.lastMetrics = metrics;
    return {
      plugin_id: PLUGIN_ID,
      target: this.display,
      status: selected.length > 0 && ran === 0 ? 'unknown' : statusFromFindings(findings),
      findings,
      metrics,
      started_at: startedAt.toISOString(),
      duration_ms: Math.round(performance.now() - t0),
      server: { version: server.version, version_num: server.versionNum, in_recovery: server.inRecovery, database: server.database, window_ms: windowMs, samples: count },
    };
  }

  async getMetrics(): Promise<Record<string, number>> {
    if (!this.client) return { ...this.lastMetrics };
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

/** Waits for the next sample; a stopping plugin (ctx.signal) ends the wait with an error at once. */
function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new DiagnosticsError('PLW_ERR_DIAG_CONNECT', 'The diagnosis was aborted: the plugin is stopping'));
    const onAbort = () => {
      clearTimeout(timer);
      reject(new DiagnosticsError('PLW_ERR_DIAG_CONNECT', 'The diagnosis was aborted: the plugin is stopping'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
