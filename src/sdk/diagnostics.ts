// Shapes shared by diagnostics plugins (KubeStack seed): targets, findings and results,
// and the small pure helpers every such plugin needs to stay consistent. The other
// diagnostics-*.ts files hold the helpers that run a plugin: errors, sampling, checks, target
// parsing, the HTTP endpoint and the plugin object itself.

export type Severity = 'info' | 'warning' | 'critical';
export type DiagnosticStatus = 'healthy' | 'warning' | 'critical' | 'unknown';

/** Where to connect: a URL (redis://, mysql://, postgres://, kafka://) or host:port, plus options. */
export interface DiagnosticTarget {
  url: string;
  username?: string;
  password?: string;
  /** TLS options: true for defaults, or node:tls options (ca, cert, key, rejectUnauthorized, servername). */
  tls?: boolean | Record<string, unknown>;
  /** System-specific settings (redis: mode sentinel|cluster, sentinels, name; kafka: sasl …). */
  options?: Record<string, unknown>;
  /** Connect timeout in ms. */
  timeoutMs?: number;
}

export interface DiagnoseOptions {
  /** Only these categories (all when absent or empty). */
  categories?: string[];
  /** Sampling window in ms for rates and trends. */
  windowMs?: number;
  /** Number of samples taken across the window (at least 2). */
  samples?: number;
}

export interface Finding {
  category: string;
  severity: Severity;
  /** Stable, SCREAMING_SNAKE, e.g. REDIS_MEMORY_NEAR_LIMIT. */
  code: string;
  message: string;
  /** The numbers the finding is based on. */
  evidence: Record<string, unknown>;
  /** What an operator can do about it. */
  suggestion: string;
}

export interface DiagnosticResult {
  plugin_id: string;
  target: string;
  status: DiagnosticStatus;
  findings: Finding[];
  metrics: Record<string, number>;
  /** ISO 8601 */
  started_at: string;
  duration_ms: number;
  /** Server version and mode when known. */
  server?: Record<string, unknown>;
}

/** The one way to build a finding, so that every plugin's findings have the same keys. */
export function finding(category: string, severity: Severity, code: string, message: string, evidence: Record<string, unknown>, suggestion: string): Finding {
  return { category, severity, code, message, evidence, suggestion };
}

/** healthy with no warning or critical finding; the worst severity otherwise. */
export function statusFromFindings(findings: readonly Finding[]): DiagnosticStatus {
  if (findings.some((f) => f.severity === 'critical')) return 'critical';
  if (findings.some((f) => f.severity === 'warning')) return 'warning';
  return 'healthy';
}

/**
 * Starts the clock of one diagnosis; `result()` stamps started_at and duration_ms and sets the
 * status from the findings (`unknown` when `noneRan`: checks were asked for and none could run).
 */
export function beginDiagnosis(
  pluginId: string,
  target: string,
): {
  startedAt: Date;
  result(parts: { findings: Finding[]; metrics: Record<string, number>; server?: Record<string, unknown>; noneRan?: boolean }): DiagnosticResult;
} {
  const startedAt = new Date();
  const t0 = performance.now();
  return {
    startedAt,
    result({ findings, metrics, server, noneRan }) {
      const result: DiagnosticResult = {
        plugin_id: pluginId,
        target,
        status: noneRan ? 'unknown' : statusFromFindings(findings),
        findings,
        metrics,
        started_at: startedAt.toISOString(),
        duration_ms: Math.round(performance.now() - t0),
      };
      if (server) result.server = server;
      return result;
    },
  };
}

/** A rate per second from two counter reads, clamped at 0 (counters reset on restart). */
export function ratePerSecond(before: number, after: number, elapsedMs: number): number {
  if (elapsedMs <= 0) return 0;
  return Math.max(0, after - before) / (elapsedMs / 1000);
}

/** Parses durations such as 500ms, 5s, 2m, 1h, or a plain number of milliseconds. */
export function parseDuration(input: string | number): number {
  if (typeof input === 'number' && Number.isFinite(input) && input >= 0) return input;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h|d)?\s*$/.exec(String(input));
  if (!m) throw new RangeError(`"${input}" is not a duration: write e.g. 500ms, 5s, 1m or a number of milliseconds`);
  const n = Number(m[1]);
  const unit = m[2] ?? 'ms';
  const factor = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000 }[unit] ?? 1;
  return n * factor;
}
