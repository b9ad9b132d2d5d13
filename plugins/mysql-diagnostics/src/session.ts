// One connection to one MySQL/MariaDB server: connect, sample counters across the window, run
// the checks (a failing check becomes an info finding), and the whitelisted actions.
import mysql from 'mysql2/promise';
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
import type { MysqlDiagnosticsConfig } from './config.js';
import { CATEGORIES, CHECKS } from './checks/index.js';
import { parseTarget } from './target.js';
import type { CheckInput, Row, ServerInfo, StatusSample } from './types.js';

export const PLUGIN_ID = 'mysql-diagnostics';

/** Counters the diagnosis's own SHOW statements move (on MariaDB they scan temporary tables). */
const OWN_COUNTERS = ['Select_scan', 'Select_full_join', 'Select_range_check', 'Handler_read_rnd_next', 'Handler_read_rnd'];

export class MysqlSession implements DiagnosticsSession {
  private lastMetrics: Record<string, number> = {};

  private constructor(
    private conn: mysql.Connection | undefined,
    /** user@host:port/db, without the password. */
    readonly label: string,
    private readonly config: MysqlDiagnosticsConfig,
  ) {}

  static async open(target: DiagnosticTarget | string, config: MysqlDiagnosticsConfig): Promise<MysqlSession> {
    const parsed = parseTarget(target, config.connect_timeout_ms);
    let conn: mysql.Connection;
    try {
      conn = await mysql.createConnection(parsed.options);
    } catch (err) {
      throw connectError(parsed.display, err);
    }
    // A lost connection must not become an unhandled 'error' event that kills the process.
    conn.on('error', () => undefined);
    return new MysqlSession(conn, parsed.display, config);
  }

  async close(): Promise<void> {
    const c = this.conn;
    this.conn = undefined;
    if (c) await c.end().catch(() => c.destroy());
  }

  async query(sql: string, params?: unknown[]): Promise<Row[]> {
    if (!this.conn) throw notConnectedError(PLUGIN_ID);
    const [rows] = await this.conn.query(sql, params);
    return Array.isArray(rows) ? (rows as Row[]) : [];
  }

  private async keyValues(sql: string): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    for (const r of await this.query(sql)) out[String(r.Variable_name)] = String(r.Value);
    return out;
  }

  private async sample(): Promise<StatusSample> {
    const at = Date.now();
    const status = await this.keyValues('SHOW GLOBAL STATUS');
    const session = await this.keyValues(`SHOW SESSION STATUS WHERE Variable_name IN (${OWN_COUNTERS.map((n) => `'${n}'`).join(', ')})`);
    const s: StatusSample = { at, status, session };
    if (status.Innodb_deadlocks === undefined) {
      try {
        const rows = await this.query("SELECT COUNT AS c FROM information_schema.INNODB_METRICS WHERE NAME = 'lock_deadlocks'");
        if (rows.length) s.lockDeadlocks = Number(rows[0]!.c);
        else s.lockDeadlocksError = 'INNODB_METRICS has no lock_deadlocks counter';
      } catch (err) {
        s.lockDeadlocksError = errorReason(err);
      }
    }
    try {
      // MariaDB 10.5+ and MySQL 8.0.22+ know SHOW REPLICA STATUS; older ones only the SLAVE form.
      let rows: Row[];
      try {
        rows = await this.query('SHOW REPLICA STATUS');
      } catch (err) {
        if ((err as { errno?: number }).errno !== 1064) throw err;
        rows = await this.query('SHOW SLAVE STATUS');
      }
      s.replica = rows[0] ?? null;
    } catch (err) {
      s.replicaError = errorReason(err);
    }
    return s;
  }

  /** Statement digests at the start of the window, so the digests check can tell what ran during it. */
  private async digestSnapshot(variables: Record<string, string>): Promise<Map<string, Row> | undefined> {
    if (!['ON', '1'].includes((variables.performance_schema ?? '').toUpperCase())) return undefined;
    try {
      const rows = await this.query(
        'SELECT SCHEMA_NAME, DIGEST, COUNT_STAR, SUM_NO_INDEX_USED, SUM_NO_GOOD_INDEX_USED, SUM_ROWS_EXAMINED FROM performance_schema.events_statements_summary_by_digest WHERE DIGEST IS NOT NULL',
      );
      return new Map(rows.map((r) => [`${String(r.SCHEMA_NAME)}|${String(r.DIGEST)}`, r]));
    } catch {
      return undefined; // the digests check says why it cannot read them
    }
  }

  async diagnose(options: DiagnoseOptions = {}, signal?: AbortSignal): Promise<DiagnosticResult> {
    const clock = beginDiagnosis(PLUGIN_ID, this.label);
    if (!this.conn) throw notConnectedError(PLUGIN_ID);
    const { windowMs, samples: count } = samplingWindow(options, this.config);
    const wanted = (options.categories ?? []).filter(Boolean);
    const findings: Finding[] = [];
    const unknown = unknownCategoriesFinding('MYSQL_UNKNOWN_CATEGORY', wanted, CATEGORIES);
    if (unknown) findings.push(unknown);
    const variables = await this.keyValues('SHOW GLOBAL VARIABLES');
    const digestsBefore = await this.digestSnapshot(variables);
    const samples = await sampleOverWindow(() => this.sample(), { windowMs, samples: count, signal });
    const version = variables.version ?? '';
    const [major = 0, minor = 0] = version.split(/[.-]/).map(Number);
    const server: ServerInfo = {
      version,
      flavor: /mariadb/i.test(version) || /mariadb/i.test(variables.version_comment ?? '') ? 'mariadb' : 'mysql',
      major,
      minor,
      uptimeSeconds: Number(samples[samples.length - 1]!.status.Uptime) || 0,
    };
    const metrics: Record<string, number> = {};
    const input: CheckInput = { query: (sql, p) => this.query(sql, p), variables, samples, config: this.config, server, metrics, digestsBefore };
    // Privileges, disabled features or version differences: say why, never crash or skip silently.
    const checks = await runChecks(CHECKS, input, {
      categories: wanted,
      unavailable: (check, err) =>
        finding(
          check.category,
          'info',
          'MYSQL_CHECK_UNAVAILABLE',
          `The ${check.name} check could not run: ${errorReason(err)}`,
          { check: check.name, error: errorReason(err), errno: (err as { errno?: number }).errno },
          'Grant the diagnostics user PROCESS and REPLICATION CLIENT (or SLAVE MONITOR on MariaDB), and SELECT on performance_schema.',
        ),
    });
    findings.push(...checks.findings);
    this.lastMetrics = metrics;
    return clock.result({
      findings,
      metrics,
      server: { version, flavor: server.flavor, uptime_seconds: server.uptimeSeconds, window_ms: windowMs, samples: count },
      noneRan: checks.noneRan,
    });
  }

  /** Point-in-time metrics without a window, over the last diagnosis' ones. */
  async metrics(): Promise<Record<string, number>> {
    const s = await this.keyValues('SHOW GLOBAL STATUS');
    const v = await this.keyValues("SHOW GLOBAL VARIABLES LIKE 'max_connections'");
    const n = (k: string) => Number(s[k]);
    return {
      ...this.lastMetrics,
      threads_connected: n('Threads_connected'),
      threads_running: n('Threads_running'),
      max_connections: Number(v.max_connections),
      questions: n('Questions'),
      slow_queries: n('Slow_queries'),
      uptime_seconds: n('Uptime'),
    };
  }
}
