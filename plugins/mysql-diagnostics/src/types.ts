// What a check receives (the sampled counters, the variables, a query function, thresholds)
// and the helpers every check uses to read counters and to word findings the same way
// (findings themselves are built with the SDK's finding()).
import { finding, type Check as SdkCheck, type Severity } from 'plugway/sdk';
import type { MysqlDiagnosticsConfig } from './config.js';

export type Row = Record<string, unknown>;
export type QueryFn = (sql: string, params?: unknown[]) => Promise<Row[]>;

export interface StatusSample {
  /** ms since epoch when the sample was read. */
  at: number;
  status: Record<string, string>;
  /** SHOW REPLICA STATUS's first row; null on a server that is not a replica; undefined when unreadable. */
  replica?: Row | null;
  replicaError?: string;
  /**
   * INNODB_METRICS `lock_deadlocks`, read in every sample when SHOW GLOBAL STATUS has no
   * Innodb_deadlocks (MySQL; MariaDB has the status variable); the error when it cannot be read.
   */
  lockDeadlocks?: number;
  lockDeadlocksError?: string;
  /** The diagnosis's own connection's counters (SHOW SESSION STATUS), to tell its own statements from the others'. */
  session?: Record<string, string>;
}

export interface ServerInfo {
  version: string;
  flavor: 'mariadb' | 'mysql';
  major: number;
  minor: number;
  uptimeSeconds: number;
}

export interface CheckInput {
  query: QueryFn;
  variables: Record<string, string>;
  /** At least two, oldest first. */
  samples: StatusSample[];
  config: MysqlDiagnosticsConfig;
  server: ServerInfo;
  /** performance_schema statement digests read just before the window (by digest and schema); absent when unreadable or off. */
  digestsBefore?: Map<string, Row>;
  /** Checks add the numbers they compute here; they become the result's metrics. */
  metrics: Record<string, number>;
}

export type Check = SdkCheck<CheckInput>;

export { finding };

export function num(v: unknown): number {
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : NaN;
}

/** A status counter in the latest sample (NaN when the server does not have it). */
export function latest(input: CheckInput, name: string): number {
  return num(input.samples[input.samples.length - 1]!.status[name]);
}

/** How much a counter grew across the window (0 when absent or reset). */
export function windowDelta(input: CheckInput, name: string): number {
  const a = num(input.samples[0]!.status[name]);
  const b = latest(input, name);
  if (!Number.isFinite(a) || !Number.isFinite(b)) return 0;
  return Math.max(0, b - a);
}

export function elapsedMs(input: CheckInput): number {
  return input.samples[input.samples.length - 1]!.at - input.samples[0]!.at;
}

export function variable(input: CheckInput, name: string): string | undefined {
  return input.variables[name] ?? input.variables[name.toLowerCase()];
}

export interface JudgedRatio {
  ratio: number;
  numerator: number;
  denominator: number;
  /** window: deltas over the sampling window; lifetime: counters since the server started. */
  basis: 'window' | 'lifetime';
  /** False for lifetime ratios of a server up for less than min_uptime_seconds (mysqltuner). */
  reliable: boolean;
}

/**
 * numerator/denominator from the window's deltas when the window saw enough events, else from
 * the lifetime counters, flagged unreliable when the server is young. Null when nothing to judge.
 */
export function judgeRatio(input: CheckInput, numerator: string, denominator: string, minEvents?: number): JudgedRatio | null {
  const floor = minEvents ?? input.config.min_window_events;
  const wn = windowDelta(input, numerator);
  const wd = windowDelta(input, denominator);
  if (wd >= floor) return { ratio: wn / wd, numerator: wn, denominator: wd, basis: 'window', reliable: true };
  const ln = latest(input, numerator);
  const ld = latest(input, denominator);
  if (!Number.isFinite(ln) || !Number.isFinite(ld) || ld <= 0) return null;
  return {
    ratio: ln / ld,
    numerator: ln,
    denominator: ld,
    basis: 'lifetime',
    reliable: input.server.uptimeSeconds >= input.config.min_uptime_seconds,
  };
}

/**
 * The severity a ratio finding gets: only the window's ratio can warn. A lifetime ratio is
 * history since the server started (it stays up long after the cause is gone, which would keep a
 * cron job's exit code up): info.
 */
export function ratioSeverity(j: JudgedRatio, severity: Severity): Severity {
  return j.basis === 'window' && j.reliable ? severity : 'info';
}

/** How a message names a ratio's basis. */
export function basisText(j: JudgedRatio): string {
  return j.basis === 'window' ? 'during the window' : 'since start';
}

export function ratioEvidence(j: JudgedRatio, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const e: Record<string, unknown> = { ratio: round(j.ratio), numerator: j.numerator, denominator: j.denominator, basis: j.basis, ...extra };
  if (!j.reliable) e.note = 'server uptime is below min_uptime_seconds: lifetime ratios are not yet reliable (mysqltuner)';
  return e;
}

export function round(n: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export function pct(n: number): string {
  return `${round(n * 100, 1)}%`;
}

/**
 * How much a counter grew across the window by other connections than the diagnosis's own
 * (its SHOW statements count as scans and rows read on MariaDB).
 */
export function othersDelta(input: CheckInput, name: string): number {
  const first = input.samples[0]!;
  const last = input.samples[input.samples.length - 1]!;
  const own = Math.max(0, num(last.session?.[name]) - num(first.session?.[name])) || 0;
  return Math.max(0, windowDelta(input, name) - own);
}
