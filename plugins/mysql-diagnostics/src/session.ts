// One connection to one MySQL/MariaDB server: connect, sample counters across the window, run
// the checks (a failing check becomes an info finding), and the whitelisted actions.
import mysql from 'mysql2/promise';
import { statusFromFindings, type DiagnoseOptions, type DiagnosticResult, type DiagnosticTarget, type Finding } from 'plugway/sdk';
import type { MysqlDiagnosticsConfig } from './config.js';
import { windowMsOf } from './config.js';
import { CATEGORIES, CHECKS } from './checks/index.js';
import { DiagnosticsError, reasonOf } from './errors.js';
import { parseTarget } from './target.js';
import { finding, type CheckInput, type Row, type ServerInfo, type StatusSample } from './types.js';

export const PLUGIN_ID = 'mysql-diagnostics';

export class MysqlSession {
  private conn?: mysql.Connection;
  private display = '';
  private lastMetrics: Record<string, number> = {};

  constructor(private readonly config: MysqlDiagnosticsConfig) {}

  get target(): string {
    return this.display;
  }

  async connect(target: DiagnosticTarget | string): Promise<void> {
    await this.disconnect();
    const parsed = parseTarget(target, this.config.connect_timeout_ms);
    this.display = parsed.display;
    try {
      this.conn = await mysql.createConnection(parsed.options);
      // A lost connection must not become an unhandled 'error' event that kills the process.
      this.conn.on('error', () => undefined);
    } catch (err) {
      throw new DiagnosticsError('PLW_ERR_DIAG_CONNECT', `Cannot connect to ${parsed.display}: ${reasonOf(err)}`, { cause: err });
    }
  }

  async disconnect(): Promise<void> {
    const c = this.conn;
    this.conn = undefined;
    if (c) await c.end().catch(() => c.destroy());
  }

  async query(sql: string, params?: unknown[]): Promise<Row[]> {
    if (!this.conn) throw new DiagnosticsError('PLW_ERR_DIAG_NOT_CONNECTED', `Plugin ${PLUGIN_ID} is not connected; call connect(target) first`);
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
    const s: StatusSample = { at, status };
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
      s.replicaError = reasonOf(err);
    }
    return s;
  }

  async diagnose(options: DiagnoseOptions = {}, signal?: AbortSignal): Promise<DiagnosticResult> {
    const startedAt = new Date();
    const t0 = performance.now();
    if (!this.conn) throw new DiagnosticsError('PLW_ERR_DIAG_NOT_CONNECTED', `Plugin ${PLUGIN_ID} is not connected; call connect(target) first`);
    const windowMs = Math.max(0, options.windowMs ?? windowMsOf(this.config));
    const count = Math.max(2, Math.floor(options.samples ?? this.config.samples));
    const wanted = (options.categories ?? []).filter(Boolean);
    const findings: Finding[] = [];
    const unknown = wanted.filter((c) => !CATEGORIES.includes(c));
    if (unknown.length) {
      findings.push(finding('server', 'info', 'MYSQL_UNKNOWN_CATEGORY', `Unknown categor${unknown.length > 1 ? 'ies' : 'y'} ${unknown.join(', ')}: nothing checked for ${unknown.length > 1 ? 'them' : 'it'}.`,
        { unknown, categories: CATEGORIES }, `Use one of: ${CATEGORIES.join(', ')}.`));
    }
    const variables = await this.keyValues('SHOW GLOBAL VARIABLES');
    const samples: StatusSample[] = [await this.sample()];
    for (let i = 1; i < count; i++) {
      const due = samples[0]!.at + (windowMs * i) / (count - 1);
      await sleep(Math.max(0, due - Date.now()), signal);
      samples.push(await this.sample());
    }
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
    const input: CheckInput = { query: (sql, p) => this.query(sql, p), variables, samples, config: this.config, server, metrics };
    const selected = CHECKS.filter((c) => wanted.length === 0 || wanted.includes(c.category));
    let ran = 0;
    for (const check of selected) {
      try {
        findings.push(...(await check.run(input)));
        ran++;
      } catch (err) {
        // Privileges, disabled features or version differences: say why, never crash or skip silently.
        findings.push(finding(check.category, 'info', 'MYSQL_CHECK_UNAVAILABLE', `The ${check.name} check could not run: ${reasonOf(err)}`,
          { check: check.name, error: reasonOf(err), errno: (err as { errno?: number }).errno },
          'Grant the diagnostics user PROCESS and REPLICATION CLIENT (or SLAVE MONITOR on MariaDB), and SELECT on performance_schema.'));
      }
    }
    this.lastMetrics = metrics;
    return {
      plugin_id: PLUGIN_ID,
      target: this.display,
      status: selected.length > 0 && ran === 0 ? 'unknown' : statusFromFindings(findings),
      findings,
      metrics,
      started_at: startedAt.toISOString(),
      duration_ms: Math.round(performance.now() - t0),
      server: { version, flavor: server.flavor, uptime_seconds: server.uptimeSeconds, window_ms: windowMs, samples: count },
    };
  }

  /** Point-in-time metrics without a window (the last diagnosis' when not connected). */
  async getMetrics(): Promise<Record<string, number>> {
    if (!this.conn) return { ...this.lastMetrics };
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
