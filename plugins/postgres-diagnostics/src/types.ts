// What a check receives (sampled counters, settings, a query function, thresholds) and the
// helpers every check uses to word findings the same way (built with the SDK's finding()).
import { finding, type Check as SdkCheck, type Severity } from 'plugway/sdk';
import type { PostgresDiagnosticsConfig } from './config.js';

export type Row = Record<string, unknown>;
export type QueryFn = (sql: string, params?: unknown[]) => Promise<Row[]>;

export interface Sample {
  at: number;
  /** pg_stat_database of the connected database (numbers). */
  db: Record<string, number>;
  /** pg_stat_archiver. */
  archiver?: Row;
  /** pg_stat_user_tables' scan counters by relid (seq_scan, seq_tup_read, idx_scan, n_live_tup). */
  tables?: Map<string, Row>;
}

export interface ServerInfo {
  version: string;
  /** server_version_num, e.g. 150020. */
  versionNum: number;
  inRecovery: boolean;
  database: string;
}

export interface CheckInput {
  query: QueryFn;
  settings: Record<string, string>;
  samples: Sample[];
  config: PostgresDiagnosticsConfig;
  server: ServerInfo;
  metrics: Record<string, number>;
  /** pg_stat_statements calls by userid|dbid|queryid when the window opened; absent without the extension. */
  statementsBefore?: Map<string, number>;
}

export type Check = SdkCheck<CheckInput>;

export { finding };

export function num(v: unknown): number {
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : NaN;
}

export function round(n: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export function pct(n: number): string {
  return `${round(n * 100, 2)}%`;
}

export function bytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${round(v, 1)} ${units[i]}`;
}

export function dbDelta(input: CheckInput, field: string): number {
  const a = input.samples[0]!.db[field] ?? NaN;
  const b = input.samples[input.samples.length - 1]!.db[field] ?? NaN;
  return Number.isFinite(a) && Number.isFinite(b) ? Math.max(0, b - a) : 0;
}

export function dbLatest(input: CheckInput, field: string): number {
  return input.samples[input.samples.length - 1]!.db[field] ?? NaN;
}

export function windowSeconds(input: CheckInput): number {
  return (input.samples[input.samples.length - 1]!.at - input.samples[0]!.at) / 1000;
}

/** Two thresholds → the severity, or null below the first. */
export function level(value: number, warning: number, critical: number): Severity | null {
  return value >= critical ? 'critical' : value >= warning ? 'warning' : null;
}
