// One kafkajs admin connection to a cluster and a diagnosis over it: metadata, topic configs,
// groups, offsets sampled over the window, then the checks of the wanted categories.
import kafkajs, { type Admin } from 'kafkajs';
// kafkajs is CommonJS: Node cannot see all of its named exports, so read them from the default export.
const { Kafka, logLevel, AssignerProtocol, ConfigResourceTypes } = kafkajs;
import {
  beginDiagnosis,
  connectError,
  errorReason,
  finding,
  samplingWindow,
  unknownCategoriesFinding,
  type DiagnoseOptions,
  type DiagnosticResult,
  type DiagnosticsSession,
  type DiagnosticTarget,
  type Finding,
} from 'plugway/sdk';
import type { KafkaDiagConfig } from './config.js';
import { addPoint, type OffsetPoint } from './lag-time.js';
import { sampleOffsets } from './sample.js';
import { planConnection, type KafkaPlan } from './target.js';
import { brokerFindings } from './checks/brokers.js';
import { partitionFindings } from './checks/partitions.js';
import { consumerFindings } from './checks/consumers.js';
import type { GroupInfo, KafkaInput, TopicInfo } from './checks/types.js';

export const PLUGIN_ID = 'kafka-diagnostics';
export const CATEGORIES = ['brokers', 'partitions', 'replication', 'consumers', 'config', 'security'];

function classify(err: unknown, plan: KafkaPlan): string {
  const e = err as { name?: string; type?: string; message?: string };
  const msg = errorReason(err);
  if (e.name === 'KafkaJSSASLAuthenticationError' || /SASL|authenticat/i.test(msg)) return `SASL authentication failed: ${msg}`;
  // A listener without SASL answers the SaslHandshake request with an unsupported-version error.
  if (plan.sasl && /API version|UNSUPPORTED_VERSION|ILLEGAL_SASL_STATE/i.test(msg)) return `SASL ${plan.sasl.mechanism.toUpperCase()} handshake failed (is this a SASL listener?): ${msg}`;
  if (/SSL|TLS|certificate|handshake|EPROTO/i.test(msg)) return `TLS handshake failed: ${msg}`;
  return msg;
}

async function describeGroups(admin: Admin, ids: string[]): Promise<Map<string, GroupInfo> | Error> {
  if (ids.length === 0) return new Map();
  try {
    const res = await admin.describeGroups(ids);
    return new Map(
      res.groups.map((g) => [
        g.groupId,
        {
          groupId: g.groupId,
          state: g.state,
          members: g.members.map((m) => {
            let assignment: Record<string, number[]> = {};
            try {
              assignment = AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment ?? {};
            } catch {
              /* a non-consumer protocol (e.g. Connect) carries another assignment format */
            }
            return { memberId: m.memberId, clientId: m.clientId, clientHost: m.clientHost, assignment };
          }),
        },
      ]),
    );
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

export class KafkaSession implements DiagnosticsSession {
  /** (latest offset, time) per topic/partition, kept across diagnoses of this session. */
  private readonly lagTables = new Map<string, OffsetPoint[]>();

  private constructor(
    readonly plan: KafkaPlan,
    private readonly admin: Admin,
    private readonly cfg: KafkaDiagConfig,
  ) {}

  static async open(target: DiagnosticTarget | string, cfg: KafkaDiagConfig): Promise<KafkaSession> {
    const timeout = typeof target === 'object' && target.timeoutMs ? target.timeoutMs : cfg.connect_timeout_ms;
    const plan = planConnection(target, timeout, cfg.request_timeout_ms);
    const kafka = new Kafka({ ...plan.client, logLevel: logLevel.NOTHING });
    const admin = kafka.admin({ retry: { retries: 4, initialRetryTime: 50, maxRetryTime: 300 } });
    try {
      await admin.connect();
      await admin.describeCluster();
    } catch (err) {
      await admin.disconnect().catch(() => {});
      throw connectError(plan.label, err, classify(err, plan));
    }
    return new KafkaSession(plan, admin, cfg);
  }

  async close(): Promise<void> {
    await this.admin.disconnect().catch(() => {});
  }

  get label(): string {
    return this.plan.label;
  }

  get adminClient(): Admin {
    return this.admin;
  }

  private async topics(): Promise<TopicInfo[]> {
    const md = await this.admin.fetchTopicMetadata(this.plan.topics ? { topics: this.plan.topics } : undefined);
    return md.topics
      .filter((t) => this.cfg.include_internal_topics || !t.name.startsWith('__'))
      .map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionId: p.partitionId, leader: p.leader, replicas: p.replicas, isr: p.isr, offlineReplicas: p.offlineReplicas })) }));
  }

  private async topicConfigs(topics: string[]): Promise<Map<string, Record<string, string>> | Error> {
    if (topics.length === 0) return new Map();
    try {
      const res = await this.admin.describeConfigs({
        includeSynonyms: false,
        resources: topics.map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configNames: ['min.insync.replicas', 'unclean.leader.election.enable', 'retention.ms'] })),
      });
      return new Map(res.resources.map((r) => [r.resourceName, Object.fromEntries(r.configEntries.map((e) => [e.configName, e.configValue]))]));
    } catch (err) {
      return err instanceof Error ? err : new Error(String(err));
    }
  }

  private async groupIds(): Promise<{ ids: string[]; listError?: string }> {
    const configured = [...new Set([...this.cfg.groups, ...this.plan.groups])];
    try {
      const listed = (await this.admin.listGroups()).groups.filter((g) => g.protocolType === 'consumer' || g.protocolType === '').map((g) => g.groupId);
      return { ids: configured.length > 0 ? configured : listed };
    } catch (err) {
      return { ids: configured, listError: errorReason(err) };
    }
  }

  async metrics(): Promise<Record<string, number>> {
    const cluster = await this.admin.describeCluster();
    const topics = await this.topics();
    return {
      brokers: cluster.brokers.length,
      topics: topics.length,
      partitions: topics.reduce((n, t) => n + t.partitions.length, 0),
      offline_partitions: topics.reduce((n, t) => n + t.partitions.filter((p) => p.leader < 0).length, 0),
      under_replicated_partitions: topics.reduce((n, t) => n + t.partitions.filter((p) => p.isr.length < p.replicas.length).length, 0),
    };
  }

  async diagnose(options: DiagnoseOptions = {}, signal?: AbortSignal): Promise<DiagnosticResult> {
    const clock = beginDiagnosis(PLUGIN_ID, this.plan.label);
    const { windowMs, samples: count } = samplingWindow(options, this.cfg);
    const wanted = options.categories && options.categories.length > 0 ? new Set(options.categories) : new Set(CATEGORIES);
    const cluster = await this.admin.describeCluster();
    const topics = await this.topics();
    const needConsumers = wanted.has('consumers');
    const [topicConfigs, groups] = await Promise.all([this.topicConfigs(topics.map((t) => t.name)), needConsumers ? this.groupIds() : Promise.resolve({ ids: [] as string[] })]);
    const before = needConsumers ? await describeGroups(this.admin, groups.ids) : new Map<string, GroupInfo>();
    const sampled =
      needConsumers && groups.ids.length > 0
        ? await sampleOffsets(
            this.admin,
            groups.ids,
            topics.map((t) => t.name),
            windowMs,
            count,
            signal,
          )
        : { series: [], errors: [] };
    for (const s of sampled.series) {
      const key = `${s.topic}\0${s.partition}`;
      const table = this.lagTables.get(key) ?? [];
      for (const x of s.samples) addPoint(table, { offset: x.latest, t: x.t }, this.cfg.max_lag_points);
      this.lagTables.set(key, table);
    }
    const after = needConsumers ? await describeGroups(this.admin, groups.ids) : new Map<string, GroupInfo>();
    if (after instanceof Map && before instanceof Map) {
      for (const [id, g] of after) g.rebalancingThroughWindow = /Rebalance/.test(g.state) && /Rebalance/.test(before.get(id)?.state ?? '');
    }
    const metrics: Record<string, number> = {};
    const input: KafkaInput = {
      cfg: this.cfg,
      plan: this.plan,
      brokers: cluster.brokers,
      controller: cluster.controller,
      topics,
      topicConfigs,
      groups,
      descriptions: after,
      series: sampled.series,
      sampleErrors: sampled.errors,
      lagTables: this.lagTables,
      metrics,
    };
    let findings: Finding[] = [];
    const guard = async (category: string, fn: () => Finding[] | Promise<Finding[]>): Promise<Finding[]> => {
      try {
        return await fn();
      } catch (err) {
        return [
          finding(
            category,
            'info',
            'KAFKA_CHECK_UNAVAILABLE',
            `${category} checks could not run: ${errorReason(err)}`,
            { reason: errorReason(err) },
            "Check the diagnosing user's ACLs and the broker logs.",
          ),
        ];
      }
    };
    findings.push(...(await guard('brokers', () => brokerFindings(input))));
    findings.push(...(await guard('partitions', () => partitionFindings(input))));
    if (needConsumers) findings.push(...(await guard('consumers', () => consumerFindings(input))));
    findings = findings.filter((f) => wanted.has(f.category));
    // Category `server`, as in every diagnostics plugin (the SDK's helper).
    const unknown = unknownCategoriesFinding('KAFKA_UNKNOWN_CATEGORY', [...wanted], CATEGORIES);
    if (unknown) findings.unshift(unknown);
    return clock.result({ findings, metrics, server: { cluster_id: cluster.clusterId, controller: cluster.controller, brokers: cluster.brokers.length } });
  }
}
