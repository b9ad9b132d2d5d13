// Checklist 2-6: offline partitions, under-replication and ISR against min.insync.replicas,
// replication factor against broker count, leader balance (preferred leaders, Cruise Control's
// 1.10× of average), partition count against broker count.
import type { Finding } from 'plugway/sdk';
import { finding, type KafkaInput } from './types.js';

export function partitionFindings(input: KafkaInput): Finding[] {
  const { topics, brokers, topicConfigs, cfg, metrics } = input;
  const out: Finding[] = [];
  const offline: string[] = [];
  const under: Array<{ partition: string; replicas: number[]; isr: number[] }> = [];
  const belowMin: Array<{ partition: string; isr: number; min_insync: number }> = [];
  const rf1: string[] = [];
  const rfTooHigh: Array<{ topic: string; rf: number }> = [];
  const rfLowForMin: Array<{ topic: string; rf: number; min_insync: number }> = [];
  const fewPartitions: Array<{ topic: string; partitions: number }> = [];
  let total = 0;
  let nonPreferred = 0;
  const leaders = new Map<number, number>(brokers.map((b) => [b.nodeId, 0]));
  const replicas = new Map<number, number>(brokers.map((b) => [b.nodeId, 0]));
  const configs = topicConfigs instanceof Error ? undefined : topicConfigs;
  for (const t of topics) {
    const minIsr = configs?.get(t.name)?.['min.insync.replicas'];
    const min = minIsr !== undefined ? Number(minIsr) : undefined;
    const rf = Math.max(0, ...t.partitions.map((p) => p.replicas.length));
    if (rf === 1) rf1.push(t.name);
    if (rf > brokers.length) rfTooHigh.push({ topic: t.name, rf });
    if (min !== undefined && rf < min + 1) rfLowForMin.push({ topic: t.name, rf, min_insync: min });
    if (t.partitions.length < brokers.length) fewPartitions.push({ topic: t.name, partitions: t.partitions.length });
    for (const p of t.partitions) {
      total++;
      const id = `${t.name}-${p.partitionId}`;
      if (p.leader < 0) offline.push(id);
      else {
        leaders.set(p.leader, (leaders.get(p.leader) ?? 0) + 1);
        if (p.replicas.length > 0 && p.leader !== p.replicas[0]) nonPreferred++;
      }
      for (const r of p.replicas) replicas.set(r, (replicas.get(r) ?? 0) + 1);
      if (p.isr.length < p.replicas.length) under.push({ partition: id, replicas: p.replicas, isr: p.isr });
      if (min !== undefined && p.isr.length < min) belowMin.push({ partition: id, isr: p.isr.length, min_insync: min });
    }
  }
  metrics.topics = topics.length;
  metrics.partitions = total;
  metrics.offline_partitions = offline.length;
  metrics.under_replicated_partitions = under.length;
  if (offline.length > 0) {
    out.push(
      finding(
        'partitions',
        'critical',
        'KAFKA_OFFLINE_PARTITIONS',
        `${offline.length} partitions have no leader`,
        { offline: offline.slice(0, 50), count: offline.length },
        'Bring the brokers holding their replicas back; if all replicas are lost, decide on unclean leader election knowingly.',
      ),
    );
  }
  if (under.length > 0) {
    out.push(
      finding(
        'replication',
        'warning',
        'KAFKA_UNDER_REPLICATED',
        `${under.length} partitions are under-replicated`,
        { partitions: under.slice(0, 50), count: under.length },
        'Check the followers missing from the ISR: broker down, slow disk or network, replica.lag.time.max.ms.',
      ),
    );
  }
  if (belowMin.length > 0) {
    out.push(
      finding(
        'replication',
        'critical',
        'KAFKA_ISR_BELOW_MIN_INSYNC',
        `${belowMin.length} partitions have fewer in-sync replicas than min.insync.replicas: acks=all writes fail`,
        { partitions: belowMin.slice(0, 50), count: belowMin.length },
        'Restore the missing replicas; producers with acks=all get NOT_ENOUGH_REPLICAS until then.',
      ),
    );
  }
  if (!configs && topics.length > 0) {
    out.push(
      finding(
        'config',
        'info',
        'KAFKA_TOPIC_CONFIG_UNAVAILABLE',
        `Topic configs could not be read, so ISR and replication factor were not compared with min.insync.replicas, and retention not with lag: ${(topicConfigs as Error).message}`,
        { reason: (topicConfigs as Error).message },
        'Grant DescribeConfigs on the topics to the diagnosing user.',
      ),
    );
  }
  if (rf1.length > 0) {
    out.push(
      finding(
        'replication',
        'warning',
        'KAFKA_REPLICATION_FACTOR_ONE',
        `${rf1.length} topics have replication factor 1: one broker loss loses data`,
        { topics: rf1.slice(0, 50) },
        'Raise the replication factor to 3 with kafka-reassign-partitions.',
      ),
    );
  }
  if (rfTooHigh.length > 0) {
    out.push(
      finding(
        'replication',
        'critical',
        'KAFKA_REPLICATION_FACTOR_ABOVE_BROKERS',
        `${rfTooHigh.length} topics want more replicas than there are brokers (${brokers.length})`,
        { topics: rfTooHigh, brokers: brokers.length },
        'Add brokers or lower the replication factor: these partitions can never be fully replicated.',
      ),
    );
  }
  if (rfLowForMin.length > 0) {
    out.push(
      finding(
        'replication',
        'warning',
        'KAFKA_REPLICATION_FACTOR_NO_MARGIN',
        `${rfLowForMin.length} topics have replication factor < min.insync.replicas + 1: one broker down stops acks=all writes`,
        { topics: rfLowForMin },
        'Raise the replication factor (or lower min.insync.replicas) so one replica can be down.',
      ),
    );
  }
  const leading = total - offline.length;
  if (leading > 0) {
    const ratio = nonPreferred / leading;
    metrics.non_preferred_leader_ratio = ratio;
    if (ratio > cfg.preferred_leader_imbalance_ratio) {
      out.push(
        finding(
          'partitions',
          'warning',
          'KAFKA_PREFERRED_LEADER_IMBALANCE',
          `${nonPreferred} of ${leading} partitions (${(ratio * 100).toFixed(0)}%) are led by a non-preferred replica`,
          { non_preferred: nonPreferred, partitions: leading, ratio: Number(ratio.toFixed(3)), threshold: cfg.preferred_leader_imbalance_ratio },
          'Run a preferred leader election (kafka-leader-election --election-type PREFERRED) or enable auto.leader.rebalance.enable.',
        ),
      );
    }
  }
  // Cruise Control's balance rule, rounded up: with few partitions one extra is unavoidable.
  for (const [what, counts] of [
    ['leader', leaders],
    ['replica', replicas],
  ] as const) {
    const live = [...counts.entries()];
    if (live.length < 2) continue;
    const sum = live.reduce((s, [, n]) => s + n, 0);
    const avg = sum / live.length;
    const limit = Math.ceil(avg * cfg.leader_skew_ratio);
    const heavy = live.filter(([, n]) => n > limit);
    if (sum > 0 && heavy.length > 0) {
      out.push(
        finding(
          'partitions',
          'warning',
          what === 'leader' ? 'KAFKA_LEADER_SKEW' : 'KAFKA_REPLICA_SKEW',
          `${heavy.length} brokers carry more than ${cfg.leader_skew_ratio}× the average ${what} count (${avg.toFixed(1)})`,
          { per_broker: Object.fromEntries(live), average: Number(avg.toFixed(2)), limit, heavy: heavy.map(([id]) => id) },
          what === 'leader' ? 'Run a preferred leader election, or reassign partitions to spread leaders.' : 'Reassign partitions (kafka-reassign-partitions or Cruise Control) to spread replicas.',
        ),
      );
    }
  }
  if (fewPartitions.length > 0) {
    out.push(
      finding(
        'partitions',
        'info',
        'KAFKA_FEW_PARTITIONS',
        `${fewPartitions.length} topics have fewer partitions than brokers (${brokers.length})`,
        { topics: fewPartitions.slice(0, 50), brokers: brokers.length },
        'Not every broker can share their load; add partitions if throughput matters (note: it changes key-to-partition mapping).',
      ),
    );
  }
  if (configs) {
    const unclean = [...configs.entries()].filter(([, c]) => c['unclean.leader.election.enable'] === 'true').map(([t]) => t);
    if (unclean.length > 0) {
      out.push(
        finding(
          'config',
          'warning',
          'KAFKA_UNCLEAN_LEADER_ELECTION',
          `${unclean.length} topics allow unclean leader election (data loss on failover)`,
          { topics: unclean },
          'Set unclean.leader.election.enable=false unless availability matters more than losing acknowledged writes.',
        ),
      );
    }
  }
  return out;
}
