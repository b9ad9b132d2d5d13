// What a RabbitMQ check receives (management API samples across the window, the AMQP port
// probe, thresholds) and the helpers they share; findings are built with the SDK's finding().
import { finding, type Check as SdkCheck, type Severity } from 'plugway/sdk';
import type { RabbitDiagConfig } from '../config.js';
import type { RabbitPlan } from '../target.js';

export type Json = Record<string, unknown>;

export interface NodeStats {
  name: string;
  running?: boolean;
  mem_used?: number;
  mem_limit?: number;
  mem_alarm?: boolean;
  disk_free?: number;
  disk_free_limit?: number;
  disk_free_alarm?: boolean;
  fd_used?: number;
  fd_total?: number;
  sockets_used?: number;
  sockets_total?: number;
  proc_used?: number;
  proc_total?: number;
  partitions?: string[];
  uptime?: number;
}

export interface QueueStats {
  name: string;
  vhost: string;
  type?: string;
  state?: string;
  node?: string;
  messages?: number;
  messages_ready?: number;
  messages_unacknowledged?: number;
  consumers?: number;
  /** consumer_utilisation before 3.12, consumer_capacity from 3.12. */
  consumer_utilisation?: number | null;
  consumer_capacity?: number | null;
  messages_ready_details?: { rate?: number };
  messages_unacknowledged_details?: { rate?: number };
  message_stats?: Json;
}

export interface Sample {
  at: number;
  overview: Json;
  nodes: NodeStats[];
  queues: QueueStats[];
}

export interface CheckInput {
  samples: Sample[];
  cfg: RabbitDiagConfig;
  plan: RabbitPlan;
  /** The management API, for checks that read more than the samples (channels, health checks). */
  get<T>(path: string): Promise<T>;
  /** Resolves to undefined when an AMQP connection opened and closed, else the error. */
  amqpProbe: Promise<Error | undefined>;
  /**
   * AMQP connections the diagnosis itself opened and closed during the window (its probe, run alongside
   * the samples): the churn check does not count them as the clients'. Absent: none.
   */
  ownConnections?: Promise<number>;
  metrics: Record<string, number>;
}

export type Check = SdkCheck<CheckInput>;

export { finding };

export const first = (input: CheckInput): Sample => input.samples[0]!;
export const last = (input: CheckInput): Sample => input.samples[input.samples.length - 1]!;
export const windowSeconds = (input: CheckInput): number => (last(input).at - first(input).at) / 1000 || 1;

export function num(v: unknown): number {
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isFinite(n) ? n : NaN;
}

export function round(n: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export const pct = (r: number): string => `${round(r * 100, 1)}%`;
export const MB = 1024 * 1024;
export const fmtMb = (b: number): string => `${round(b / MB, 1)} MB`;

/** Two thresholds → the severity, or null below the first. */
export function level(value: number, warning: number, critical: number): Severity | null {
  return value >= critical ? 'critical' : value >= warning ? 'warning' : null;
}

/** A rate from the management API's `<field>_details.rate` (its own recent samples). */
export function detailRate(obj: Json | undefined, field: string): number {
  const d = obj?.[`${field}_details`] as { rate?: number } | undefined;
  return num(d?.rate) || 0;
}

export const queueName = (q: QueueStats): string => `${q.vhost}/${q.name}`;
