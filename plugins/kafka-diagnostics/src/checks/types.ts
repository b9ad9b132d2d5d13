// What every Kafka check receives; findings are built with the SDK's finding().
import { finding } from 'plugway/sdk';
import type { KafkaDiagConfig } from '../config.js';
import type { PartitionSeries } from '../sample.js';
import type { KafkaPlan } from '../target.js';
import type { OffsetPoint } from '../lag-time.js';

export interface BrokerInfo {
  nodeId: number;
  host: string;
  port: number;
}

export interface PartitionInfo {
  partitionId: number;
  leader: number;
  replicas: number[];
  isr: number[];
  offlineReplicas?: number[];
}

export interface TopicInfo {
  name: string;
  partitions: PartitionInfo[];
}

export interface GroupInfo {
  groupId: string;
  state: string;
  members: Array<{ memberId: string; clientId: string; clientHost: string; assignment: Record<string, number[]> }>;
  /** Rebalancing both before and after the window. */
  rebalancingThroughWindow?: boolean;
}

export interface KafkaInput {
  cfg: KafkaDiagConfig;
  plan: KafkaPlan;
  brokers: BrokerInfo[];
  controller: number | null;
  topics: TopicInfo[];
  /** Per topic config values, or why they could not be read. */
  topicConfigs: Map<string, Record<string, string>> | Error;
  /** The groups examined, and whether the broker listed them or they came from config. */
  groups: { ids: string[]; listError?: string };
  /** Per group description, or why groups could not be described. */
  descriptions: Map<string, GroupInfo> | Error;
  series: PartitionSeries[];
  sampleErrors: Array<{ group: string; reason: string }>;
  /** Long-lived (offset, time) tables per topic/partition, fed by every sample of the session. */
  lagTables: Map<string, OffsetPoint[]>;
  metrics: Record<string, number>;
}

export { finding };
