// Checklist 7-10: lag per partition (latest − committed, clamped), group max and sum, Burrow's
// rules over the window's samples, lag in time from the (offset, time) table, group state.
import type { Finding } from 'plugway/sdk';
import { evaluatePartition, lagOf, worstStatus, type BurrowStatus } from '../burrow.js';
import { lagSeconds } from '../lag-time.js';
import { finding, type KafkaInput } from './types.js';

const BURROW_FINDING: Record<Exclude<BurrowStatus, 'OK'>, { code: string; severity: 'warning' | 'critical'; what: string; fix: string }> = {
  STOP: {
    code: 'KAFKA_GROUP_STOPPED',
    severity: 'critical',
    what: 'stopped: no offset committed during the window while lag stayed above the allowance',
    fix: 'Start the consumers of this group (or remove the group if it is retired).',
  },
  STALL: {
    code: 'KAFKA_GROUP_STALLED',
    severity: 'critical',
    what: 'stalled: members are connected but the committed offset never moved while lag stayed',
    fix: 'A consumer is stuck (poison message, blocked processing, commit failures): check its logs and restart it.',
  },
  REWIND: {
    code: 'KAFKA_GROUP_REWIND',
    severity: 'critical',
    what: 'rewound: the committed offset went backwards',
    fix: 'Someone reset offsets or a consumer committed an old offset: check for offset resets and duplicate processing.',
  },
  WARN: {
    code: 'KAFKA_GROUP_LAG_GROWING',
    severity: 'warning',
    what: 'falling behind: lag never decreased during the window',
    fix: 'Add consumers (up to the partition count) or speed up processing.',
  },
};

export function consumerFindings(input: KafkaInput): Finding[] {
  const { groups, descriptions, series, sampleErrors, lagTables, topicConfigs, topics, cfg, metrics } = input;
  const out: Finding[] = [];
  if (groups.listError) {
    out.push(
      finding(
        'consumers',
        'info',
        'KAFKA_GROUP_LIST_UNAVAILABLE',
        `The brokers could not list consumer groups (${groups.listError}); checked the configured groups: ${groups.ids.join(', ') || 'none'}`,
        { reason: groups.listError, configured: groups.ids },
        'Name the groups to check in options.groups (target) or the groups config, or grant Describe on the cluster.',
      ),
    );
  }
  const descs = descriptions instanceof Error ? undefined : descriptions;
  if (descriptions instanceof Error && groups.ids.length > 0) {
    out.push(
      finding(
        'consumers',
        'info',
        'KAFKA_GROUP_STATE_UNAVAILABLE',
        `Group states and members could not be described (${descriptions.message}): stopped vs stalled and assignment checks are not possible`,
        { reason: descriptions.message },
        'Grant Describe on the groups, or use a broker that supports DescribeGroups.',
      ),
    );
  }
  for (const e of sampleErrors) {
    out.push(
      finding(
        'consumers',
        'info',
        'KAFKA_GROUP_OFFSETS_UNAVAILABLE',
        `Offsets for ${e.group} could not be read: ${e.reason}`,
        { group: e.group, reason: e.reason },
        'Grant Describe on the group to the diagnosing user.',
      ),
    );
  }
  const retention = new Map<string, number>();
  if (!(topicConfigs instanceof Error)) for (const [t, c] of topicConfigs) if (c['retention.ms'] && Number(c['retention.ms']) > 0) retention.set(t, Number(c['retention.ms']));
  const partitionsOf = new Map(topics.map((t) => [t.name, t.partitions.length]));
  for (const group of groups.ids) {
    const mine = series.filter((s) => s.group === group);
    const desc = descs?.get(group);
    const membersActive = desc ? (desc.state === 'Empty' || desc.state === 'Dead' ? false : desc.members.length > 0 ? true : undefined) : undefined;
    const rows = mine.map((s) => {
      const lastS = s.samples[s.samples.length - 1]!;
      const table = lagTables.get(`${s.topic}\0${s.partition}`) ?? [];
      const lt = lagSeconds(table, lastS.committed, lastS.t);
      return {
        topic: s.topic,
        partition: s.partition,
        committed: lastS.committed,
        latest: lastS.latest,
        lag: lagOf(lastS),
        status: evaluatePartition(s.samples, cfg.lag_allowance, membersActive),
        lag_seconds: lt.seconds === undefined ? null : Number(lt.seconds.toFixed(1)),
        lag_time_method: lt.method,
      };
    });
    const sum = rows.reduce((n, r) => n + r.lag, 0);
    const max = rows.reduce((n, r) => Math.max(n, r.lag), 0);
    const maxSeconds = rows.reduce((n, r) => Math.max(n, r.lag_seconds ?? 0), 0);
    metrics[`group.${group}.lag_sum`] = sum;
    metrics[`group.${group}.lag_max`] = max;
    metrics[`group.${group}.lag_seconds_max`] = maxSeconds;
    if (rows.length === 0) {
      if (!sampleErrors.some((e) => e.group === group)) {
        out.push(
          finding(
            'consumers',
            'info',
            'KAFKA_GROUP_NO_OFFSETS',
            `Group ${group} has no committed offsets`,
            { group, state: desc?.state },
            'Nothing to evaluate; check the group id if you expected offsets.',
          ),
        );
      }
      continue;
    }
    const status = worstStatus(rows.map((r) => r.status));
    const samples = mine[0]!.samples.length;
    const worstRows = [...rows].sort((a, b) => b.lag - a.lag).slice(0, 20);
    out.push(
      finding(
        'consumers',
        'info',
        'KAFKA_CONSUMER_LAG',
        `Group ${group}: lag max ${max}, sum ${sum} over ${rows.length} partitions (Burrow: ${status})`,
        { group, status, lag_max: max, lag_sum: sum, lag_seconds_max: maxSeconds, samples, partitions: worstRows },
        'See the per-partition rows for where the lag is.',
      ),
    );
    if (status !== 'OK') {
      const b = BURROW_FINDING[status];
      const bad = rows.filter((r) => r.status === status).map((r) => ({ topic: r.topic, partition: r.partition, lag: r.lag, committed: r.committed }));
      out.push(finding('consumers', b.severity, b.code, `Group ${group} is ${b.what}`, { group, status, samples, window_partitions: bad.slice(0, 20), group_state: desc?.state ?? 'unknown' }, b.fix));
    }
    const ret = Math.min(...rows.map((r) => retention.get(r.topic) ?? Infinity));
    const retRatio = Number.isFinite(ret) ? (maxSeconds * 1000) / ret : 0;
    if (maxSeconds > cfg.lag_time_warn_seconds || retRatio > cfg.lag_retention_crit_ratio) {
      const crit = maxSeconds > cfg.lag_time_crit_seconds || retRatio > cfg.lag_retention_crit_ratio;
      out.push(
        finding(
          'consumers',
          crit ? 'critical' : 'warning',
          'KAFKA_LAG_TIME_HIGH',
          `Group ${group} is ${maxSeconds.toFixed(0)} s behind the producers`,
          {
            group,
            lag_seconds_max: maxSeconds,
            retention_ms: Number.isFinite(ret) ? ret : null,
            ratio_of_retention: Number(retRatio.toFixed(3)),
            warn_seconds: cfg.lag_time_warn_seconds,
            crit_seconds: cfg.lag_time_crit_seconds,
          },
          retRatio > cfg.lag_retention_crit_ratio ? 'The consumer will lose messages to retention soon: scale it up now or raise retention.ms.' : 'Scale the consumers or speed up processing.',
        ),
      );
    }
    if (desc) {
      if ((desc.state === 'Empty' || desc.state === 'Dead') && sum > 0) {
        out.push(
          finding(
            'consumers',
            'warning',
            'KAFKA_GROUP_INACTIVE_WITH_LAG',
            `Group ${group} is ${desc.state} with ${sum} messages of lag`,
            { group, state: desc.state, lag_sum: sum },
            'No consumer is running for this group: start it, or delete the group if it is retired.',
          ),
        );
      }
      if (desc.rebalancingThroughWindow) {
        out.push(
          finding(
            'consumers',
            'warning',
            'KAFKA_GROUP_REBALANCING',
            `Group ${group} stayed in ${desc.state} through the window`,
            { group, state: desc.state },
            'A rebalance that does not finish: check for members that fail to rejoin (max.poll.interval.ms, session.timeout.ms).',
          ),
        );
      }
      if (desc.state === 'Stable') {
        const assigned = new Set<string>();
        for (const m of desc.members) for (const [t, ps] of Object.entries(m.assignment)) for (const p of ps) assigned.add(`${t}-${p}`);
        const subscribed = new Set(rows.map((r) => r.topic));
        const missing: string[] = [];
        let total = 0;
        for (const t of subscribed)
          for (let p = 0; p < (partitionsOf.get(t) ?? 0); p++) {
            total++;
            if (!assigned.has(`${t}-${p}`)) missing.push(`${t}-${p}`);
          }
        if (missing.length > 0) {
          out.push(
            finding(
              'consumers',
              'warning',
              'KAFKA_UNASSIGNED_PARTITIONS',
              `Group ${group}: ${missing.length} partitions are assigned to no member`,
              { group, unassigned: missing.slice(0, 50) },
              "Check the assignor and the members' subscriptions.",
            ),
          );
        }
        if (desc.members.length > total && total > 0) {
          out.push(
            finding(
              'consumers',
              'info',
              'KAFKA_IDLE_CONSUMERS',
              `Group ${group} has ${desc.members.length} members for ${total} partitions: some are idle`,
              { group, members: desc.members.length, partitions: total },
              'Extra members only wait as stand-bys; add partitions if you need more parallelism.',
            ),
          );
        }
      }
    }
  }
  return out;
}
