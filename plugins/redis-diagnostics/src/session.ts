// One connection to a Redis deployment and a diagnosis over it: which nodes to inspect, the
// sampling window, running the checks of the wanted categories and folding them into a result.
import type { Redis, Cluster } from 'ioredis';
import { beginDiagnosis, samplingWindow, unknownCategoriesFinding, type DiagnoseOptions, type DiagnosticResult, type DiagnosticsSession, type DiagnosticTarget, type Finding } from 'plugway/sdk';
import type { RedisDiagConfig } from './config.js';
import { readInfo, takeSamples, type Sample } from './sample.js';
import { openPlan, planConnection, type ConnectionPlan } from './target.js';
import { cannotRun, type Check, type NodeInput } from './checks/types.js';
import { serverCheck } from './checks/server.js';
import { memoryCheck } from './checks/memory.js';
import { clientsCheck } from './checks/clients.js';
import { statsCheck } from './checks/stats.js';
import { replicationCheck } from './checks/replication.js';
import { persistenceCheck } from './checks/persistence.js';
import { latencyCheck } from './checks/latency.js';
import { keyspaceCheck } from './checks/keyspace.js';
import { topologyCheck } from './checks/topology.js';
import { securityCheck } from './checks/security.js';

export const PLUGIN_ID = 'redis-diagnostics';

/** Per-node checks by category; topology runs once per deployment. */
const NODE_CHECKS: Record<string, Check> = {
  server: serverCheck,
  memory: memoryCheck,
  clients: clientsCheck,
  stats: statsCheck,
  replication: replicationCheck,
  persistence: persistenceCheck,
  latency: latencyCheck,
  keyspace: keyspaceCheck,
  security: securityCheck,
};
export const CATEGORIES = [...Object.keys(NODE_CHECKS), 'topology'];
/** Categories that still mean something when the target is a sentinel process. */
const SENTINEL_CATEGORIES = new Set(['server', 'topology']);

async function configOf(node: Redis): Promise<Record<string, string> | Error> {
  try {
    const flat = (await node.call('CONFIG', 'GET', '*')) as string[];
    const out: Record<string, string> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) out[flat[i]!] = flat[i + 1]!;
    return out;
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

export class RedisSession implements DiagnosticsSession {
  private constructor(
    readonly plan: ConnectionPlan,
    readonly client: Redis | Cluster,
    private readonly cfg: RedisDiagConfig,
  ) {}

  static async open(target: DiagnosticTarget | string, cfg: RedisDiagConfig): Promise<RedisSession> {
    const timeout = typeof target === 'object' && target.timeoutMs ? target.timeoutMs : cfg.connect_timeout_ms;
    const plan = planConnection(target, timeout);
    return new RedisSession(plan, await openPlan(plan), cfg);
  }

  get label(): string {
    return this.plan.label;
  }

  /** The nodes to inspect: the server itself, the sentinel-resolved master, or every cluster node. */
  nodes(): Array<{ node: Redis; address: string }> {
    if (this.plan.mode === 'cluster') {
      return (this.client as Cluster).nodes('all').map((n) => ({ node: n, address: `${n.options.host}:${n.options.port}` }));
    }
    const r = this.client as Redis;
    // Through a sentinel, options hold no host: the socket knows where the master is.
    const sock = (r as unknown as { stream?: { remoteAddress?: string; remotePort?: number } }).stream;
    const address = this.plan.mode === 'sentinel' && sock?.remoteAddress ? `${sock.remoteAddress}:${sock.remotePort}` : `${r.options.host}:${r.options.port}`;
    return [{ node: r, address }];
  }

  async close(): Promise<void> {
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }

  async metrics(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    const nodes = this.nodes();
    for (const { node, address } of nodes) {
      const info = await readInfo(node);
      const prefix = nodes.length > 1 ? `${address}.` : '';
      for (const k of [
        'used_memory',
        'maxmemory',
        'connected_clients',
        'blocked_clients',
        'instantaneous_ops_per_sec',
        'keyspace_hits',
        'keyspace_misses',
        'evicted_keys',
        'expired_keys',
        'rejected_connections',
        'mem_fragmentation_ratio',
        'uptime_in_seconds',
      ]) {
        const v = Number(info[k]);
        if (info[k] !== undefined && Number.isFinite(v)) out[prefix + k] = v;
      }
    }
    return out;
  }

  async diagnose(options: DiagnoseOptions = {}, signal?: AbortSignal): Promise<DiagnosticResult> {
    const clock = beginDiagnosis(PLUGIN_ID, this.plan.label);
    const { windowMs, samples } = samplingWindow(options, this.cfg);
    const wanted = options.categories && options.categories.length > 0 ? new Set(options.categories) : new Set(CATEGORIES);
    const findings: Finding[] = [];
    const unknown = unknownCategoriesFinding('REDIS_UNKNOWN_CATEGORY', [...wanted], CATEGORIES);
    if (unknown) findings.push(unknown);
    const metrics: Record<string, number> = {};
    const nodes = this.nodes();
    let server: Record<string, unknown> = { mode: this.plan.mode };
    await Promise.all(
      nodes.map(async ({ node, address }, idx) => {
        const info = await readInfo(node);
        if (idx === 0) server = { mode: this.plan.mode, version: info.redis_version, role: info.role, redis_mode: info.redis_mode, address };
        const nodeMetrics: Record<string, number> = {};
        const isSentinel = info.redis_mode === 'sentinel';
        // Sampling runs while the checks that need no window (slowlog, SCAN, ACL) proceed.
        const input: NodeInput = {
          node,
          address,
          cfg: this.cfg,
          plan: this.plan,
          info,
          metrics: nodeMetrics,
          samples: isSentinel
            ? Promise.resolve([
                { t: Date.now(), info },
                { t: Date.now(), info },
              ] as Sample[])
            : takeSamples(node, windowMs, samples, signal),
          config: isSentinel ? Promise.resolve(new Error('a sentinel has no data config')) : configOf(node),
        };
        input.samples.catch(() => {});
        const runs: Array<Promise<Finding[]>> = [];
        for (const [category, check] of Object.entries(NODE_CHECKS)) {
          if (!wanted.has(category)) continue;
          if (isSentinel && !SENTINEL_CATEGORIES.has(category)) continue;
          runs.push(check(input).catch((err) => [cannotRun(category, `${category} check on ${address}`, err, "Check the diagnosing user's permissions (ACL) and the server log.")]));
        }
        if (wanted.has('topology') && idx === 0) {
          runs.push(topologyCheck(input).catch((err) => [cannotRun('topology', `topology check on ${address}`, err, 'Check the permissions for CLUSTER/SENTINEL commands.')]));
        }
        const results = await Promise.all(runs);
        const prefix = nodes.length > 1 ? `${address}.` : '';
        for (const list of results) {
          for (const f of list) findings.push(nodes.length > 1 ? { ...f, evidence: { node: address, ...f.evidence } } : f);
        }
        for (const [k, v] of Object.entries(nodeMetrics)) metrics[prefix + k] = v;
        if (isSentinel && [...wanted].some((c) => !SENTINEL_CATEGORIES.has(c))) {
          findings.push({
            category: 'server',
            severity: 'info',
            code: 'REDIS_TARGET_IS_SENTINEL',
            message: `${address} is a sentinel: data checks (memory, clients, persistence …) do not apply`,
            evidence: { address },
            suggestion: 'Target the data nodes through redis+sentinel://<sentinel>/<master> to diagnose the master.',
          });
        }
      }),
    );
    return clock.result({ findings, metrics, server });
  }
}
