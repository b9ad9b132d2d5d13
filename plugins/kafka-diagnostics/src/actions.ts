// execute(): the whitelisted actions. lag-snapshot only reads; reset-offsets moves a group's
// committed offsets and runs only when the config sets allow_destructive.
import { DiagnosticsError } from 'plugway/sdk';
import type { KafkaSession } from './session.js';

export const SAFE_ACTIONS = ['lag-snapshot'] as const;
export const DESTRUCTIVE_ACTIONS = ['reset-offsets'] as const;
export const ACTIONS: readonly string[] = [...SAFE_ACTIONS, ...DESTRUCTIVE_ACTIONS];

/** Runs an action the SDK's gate let through (whitelisted; destructive only when allowed). */
export async function runAction(session: KafkaSession, action: string, params: Record<string, unknown>): Promise<unknown> {
  const admin = session.adminClient;
  const groupId = params.groupId ?? params.group;
  if (typeof groupId !== 'string' || !groupId) throw new DiagnosticsError('PLW_ERR_CLI_USAGE', `Action ${action}: give params.groupId`);
  if (action === 'lag-snapshot') {
    const committed = await admin.fetchOffsets({ groupId, topics: Array.isArray(params.topics) ? params.topics.map(String) : undefined });
    const rows = [];
    for (const t of committed) {
      const latest = new Map((await admin.fetchTopicOffsets(t.topic)).map((o) => [o.partition, Number(o.high)]));
      for (const p of t.partitions) {
        const c = Number(p.offset);
        if (c < 0) continue;
        rows.push({ topic: t.topic, partition: p.partition, committed: c, latest: latest.get(p.partition) ?? c, lag: Math.max(0, (latest.get(p.partition) ?? c) - c) });
      }
    }
    return { groupId, partitions: rows, lag_sum: rows.reduce((n, r) => n + r.lag, 0), lag_max: rows.reduce((n, r) => Math.max(n, r.lag), 0) };
  }
  if (typeof params.topic !== 'string') throw new DiagnosticsError('PLW_ERR_CLI_USAGE', 'Action reset-offsets: give params.topic (and params.earliest: true for the beginning)');
  await admin.resetOffsets({ groupId, topic: params.topic, earliest: params.earliest === true });
  return { groupId, topic: params.topic, reset_to: params.earliest === true ? 'earliest' : 'latest' };
}
