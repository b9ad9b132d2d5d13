// What every Redis check receives and returns; findings are built with the SDK's finding().
import type { Redis } from 'ioredis';
import { errorReason, finding, type Finding } from 'plugway/sdk';
import type { RedisDiagConfig } from '../config.js';
import type { Info } from '../info.js';
import type { Sample } from '../sample.js';
import type { ConnectionPlan } from '../target.js';

export interface NodeInput {
  node: Redis;
  /** host:port of this node */
  address: string;
  cfg: RedisDiagConfig;
  plan: ConnectionPlan;
  /** INFO read at the start, before the window. */
  info: Info;
  /** Resolves when the window's samples are in. */
  samples: Promise<Sample[]>;
  /** CONFIG GET *, or the error why it could not be read (renamed command, ACL). */
  config: Promise<Record<string, string> | Error>;
  /** Collected metrics for the result (prefixless; the runner prefixes per node in cluster mode). */
  metrics: Record<string, number>;
}

export type Check = (input: NodeInput) => Promise<Finding[]>;

export { finding };

export const MB = 1024 * 1024;
export const fmtMb = (b: number): string => `${(b / MB).toFixed(1)} MB`;
export const pct = (r: number): string => `${(r * 100).toFixed(1)}%`;

/** An info finding for a check that could not run, with the reason. */
export function cannotRun(category: string, what: string, err: unknown, suggestion: string): Finding {
  const reason = errorReason(err);
  return finding(category, 'info', 'REDIS_CHECK_UNAVAILABLE', `${what} could not run: ${reason}`, { check: what, reason }, suggestion);
}

export function first<T>(xs: T[]): T {
  return xs[0]!;
}
export function last<T>(xs: T[]): T {
  return xs[xs.length - 1]!;
}
