// Checklist 13: sentinel quorum, sdown/odown, fewer than 3 sentinels; cluster state, failed and
// unassigned slots, masters without replicas. A standalone server says so in an info finding.
import type { Redis } from 'ioredis';
import type { Finding } from 'plugway/sdk';
import { openNode, type ConnectionPlan } from '../target.js';
import { finding, type Check, type NodeInput } from './types.js';

function pairs(reply: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(reply)) for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = String(reply[i + 1]);
  return out;
}

async function sentinelMasterFindings(sentinel: Redis, address: string, name: string, minSentinels: number): Promise<Finding[]> {
  const out: Finding[] = [];
  const m = pairs(await sentinel.call('SENTINEL', 'MASTER', name));
  const flags = (m.flags ?? '').split(',');
  const sentinels = Number(m['num-other-sentinels'] ?? 0) + 1;
  const ev = { sentinel: address, master: name, master_addr: `${m.ip}:${m.port}`, flags: m.flags, quorum: Number(m.quorum ?? 0), sentinels, replicas: Number(m['num-slaves'] ?? 0) };
  if (flags.includes('o_down')) {
    out.push(
      finding(
        'topology',
        'critical',
        'REDIS_SENTINEL_ODOWN',
        `Sentinels agree master ${name} (${ev.master_addr}) is down (odown)`,
        ev,
        'A failover should follow: check that a replica is eligible (replica-priority > 0) and that the sentinels reach it.',
      ),
    );
  } else if (flags.includes('s_down')) {
    out.push(
      finding(
        'topology',
        'warning',
        'REDIS_SENTINEL_SDOWN',
        `Sentinel ${address} sees master ${name} as down (sdown)`,
        ev,
        'Check the master process and the network between this sentinel and the master.',
      ),
    );
  }
  if (sentinels < minSentinels) {
    out.push(
      finding(
        'topology',
        'warning',
        'REDIS_SENTINEL_TOO_FEW',
        `Only ${sentinels} sentinel(s) monitor ${name} (fewer than ${minSentinels})`,
        ev,
        'Run at least three sentinels on separate hosts so a majority can authorise a failover.',
      ),
    );
  }
  try {
    await sentinel.call('SENTINEL', 'CKQUORUM', name);
  } catch (err) {
    out.push(
      finding(
        'topology',
        'critical',
        'REDIS_SENTINEL_NO_QUORUM',
        `Sentinels cannot reach quorum or majority for ${name}: ${(err as Error).message}`,
        ev,
        'Start the missing sentinels or lower the quorum so that a failover can be authorised.',
      ),
    );
  }
  return out;
}

async function sentinelFindings(plan: ConnectionPlan, cfg: NodeInput['cfg']): Promise<Finding[]> {
  const out: Finding[] = [];
  for (const ep of plan.endpoints) {
    const address = `${ep.host}:${ep.port}`;
    let s: Redis | undefined;
    try {
      // Sentinels usually have no password of their own; the data nodes' credentials are not theirs.
      s = await openNode(plan, ep, { password: undefined, username: undefined, db: 0 });
      out.push(...(await sentinelMasterFindings(s, address, plan.name!, cfg.min_sentinels)));
    } catch (err) {
      out.push(
        finding(
          'topology',
          'warning',
          'REDIS_SENTINEL_UNREACHABLE',
          `Sentinel ${address} does not answer: ${(err as Error).message}`,
          { sentinel: address },
          'Restart that sentinel or remove it from the client configuration.',
        ),
      );
    } finally {
      s?.disconnect();
    }
  }
  return out;
}

async function clusterFindings(node: Redis, address: string): Promise<Finding[]> {
  const out: Finding[] = [];
  const ci: Record<string, string> = {};
  for (const line of String(await node.call('CLUSTER', 'INFO')).split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) ci[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  const ev = {
    node: address,
    cluster_state: ci.cluster_state,
    cluster_slots_assigned: Number(ci.cluster_slots_assigned ?? 0),
    cluster_slots_ok: Number(ci.cluster_slots_ok ?? 0),
    cluster_slots_pfail: Number(ci.cluster_slots_pfail ?? 0),
    cluster_slots_fail: Number(ci.cluster_slots_fail ?? 0),
    cluster_known_nodes: Number(ci.cluster_known_nodes ?? 0),
  };
  if (ci.cluster_state !== 'ok') {
    out.push(
      finding(
        'topology',
        'critical',
        'REDIS_CLUSTER_STATE_FAIL',
        `Cluster state is ${ci.cluster_state}: the cluster refuses queries`,
        ev,
        'Bring failed masters back or fail over to their replicas; assign every slot (redis-cli --cluster fix).',
      ),
    );
  }
  if (ev.cluster_slots_assigned < 16384) {
    out.push(
      finding(
        'topology',
        'critical',
        'REDIS_CLUSTER_SLOTS_UNASSIGNED',
        `Only ${ev.cluster_slots_assigned} of 16384 slots are assigned`,
        ev,
        'Assign the missing slots: redis-cli --cluster fix <node>.',
      ),
    );
  }
  if (ev.cluster_slots_fail > 0) {
    out.push(finding('topology', 'critical', 'REDIS_CLUSTER_SLOTS_FAIL', `${ev.cluster_slots_fail} slots are served by failed nodes`, ev, 'Fail over or restore the failed masters.'));
  } else if (ev.cluster_slots_pfail > 0) {
    out.push(finding('topology', 'warning', 'REDIS_CLUSTER_SLOTS_PFAIL', `${ev.cluster_slots_pfail} slots are on nodes suspected down (pfail)`, ev, 'Check the nodes flagged fail? in CLUSTER NODES.'));
  }
  const nodes = String(await node.call('CLUSTER', 'NODES'))
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' '));
  const masters = nodes.filter((n) => (n[2] ?? '').includes('master') && n.length > 8);
  const withReplica = new Set(nodes.filter((n) => (n[2] ?? '').includes('slave') && !(n[2] ?? '').includes('fail')).map((n) => n[3]));
  const lonely = masters.filter((m) => !withReplica.has(m[0])).map((m) => (m[1] ?? '').split('@')[0]);
  if (lonely.length > 0) {
    out.push(
      finding(
        'topology',
        'warning',
        'REDIS_CLUSTER_MASTER_WITHOUT_REPLICA',
        `${lonely.length} masters serving slots have no replica`,
        { node: address, masters: lonely },
        'A failed master without a replica loses its slots: add a replica per master (redis-cli --cluster add-node --cluster-slave).',
      ),
    );
  }
  return out;
}

export const topologyCheck: Check = async ({ node, info, plan, cfg, address }) => {
  if (plan.mode === 'sentinel') return sentinelFindings(plan, cfg);
  if (info.redis_mode === 'sentinel') {
    // Connected straight to a sentinel: check every master it monitors.
    const masters = (await node.call('SENTINEL', 'MASTERS')) as unknown[];
    const out: Finding[] = [];
    for (const m of masters) out.push(...(await sentinelMasterFindings(node, address, pairs(m).name ?? '', cfg.min_sentinels)));
    return out;
  }
  if (info.cluster_enabled === '1' || info.redis_mode === 'cluster') return clusterFindings(node, address);
  return [
    finding(
      'topology',
      'info',
      'REDIS_TOPOLOGY_STANDALONE',
      'Standalone server: the sentinel and cluster checks do not apply',
      { redis_mode: info.redis_mode ?? 'standalone' },
      'To check a sentinel setup, target redis+sentinel://host:26379/<master>; for a cluster, redis+cluster://host:port.',
    ),
  ];
};
