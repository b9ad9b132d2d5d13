// One diagnosis target: the management HTTP API of a RabbitMQ node (samples of overview, nodes
// and queues across the window) and an AMQP handshake on its listener; checks fold into a result.
import amqp from 'amqplib';
import {
  beginDiagnosis,
  connectError,
  errorReason,
  finding,
  runChecks,
  sampleOverWindow,
  samplingWindow,
  unknownCategoriesFinding,
  type DiagnoseOptions,
  type DiagnosticResult,
  type DiagnosticsSession,
  type DiagnosticTarget,
  type Finding,
} from 'plugway/sdk';
import type { RabbitDiagConfig } from './config.js';
import { ManagementApi, ManagementError } from './management.js';
import { planConnection, type RabbitPlan } from './target.js';
import type { Check, CheckInput, Json, NodeStats, QueueStats, Sample } from './checks/types.js';
import { alarmsCheck } from './checks/alarms.js';
import { resourcesCheck } from './checks/resources.js';
import { queuesCheck } from './checks/queues.js';
import { churnCheck } from './checks/churn.js';
import { clusterCheck } from './checks/cluster.js';
import { connectivityCheck } from './checks/connectivity.js';

export const PLUGIN_ID = 'rabbitmq-diagnostics';

const CHECKS: readonly Check[] = [connectivityCheck, alarmsCheck, resourcesCheck, clusterCheck, queuesCheck, churnCheck];
export const CATEGORIES: readonly string[] = CHECKS.map((c) => c.category);

const QUEUE_COLUMNS =
  'name,vhost,type,state,node,messages,messages_ready,messages_unacknowledged,consumers,consumer_utilisation,consumer_capacity,messages_ready_details,messages_unacknowledged_details,message_stats';

/** Opens an AMQP connection and closes it: what check_port_connectivity proves. */
export async function probeAmqp(plan: RabbitPlan, timeoutMs: number): Promise<Error | undefined> {
  const r = await handshake(plan, timeoutMs);
  return r instanceof Error ? r : undefined;
}

/** The server properties of an AMQP handshake (cluster_name, version), or the error. */
async function handshake(plan: RabbitPlan, timeoutMs: number): Promise<Record<string, unknown> | Error> {
  try {
    const conn = await amqp.connect(plan.amqpUrl, { timeout: timeoutMs });
    conn.on('error', () => undefined);
    const props = { ...(conn.connection.serverProperties as unknown as Record<string, unknown>) };
    await conn.close();
    return props;
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

export class RabbitSession implements DiagnosticsSession {
  private lastMetrics: Record<string, number> = {};

  private constructor(
    readonly plan: RabbitPlan,
    readonly api: ManagementApi,
    private readonly cfg: RabbitDiagConfig,
    readonly overview: Json,
  ) {}

  static async open(target: DiagnosticTarget | string, cfg: RabbitDiagConfig): Promise<RabbitSession> {
    const plan = planConnection(target, cfg.management_port);
    const timeout = typeof target === 'object' && target.timeoutMs ? target.timeoutMs : cfg.connect_timeout_ms;
    const api = new ManagementApi(plan, Math.max(timeout, cfg.request_timeout_ms));
    let overview: Json;
    try {
      overview = await new ManagementApi(plan, timeout).get<Json>('/api/overview');
      if (plan.vhost !== undefined) await api.get(`/api/vhosts/${encodeURIComponent(plan.vhost)}`);
    } catch (err) {
      if (err instanceof ManagementError && err.status === 404) throw connectError(plan.label, err, `vhost "${plan.vhost}" does not exist`);
      // Nothing answers HTTP: say whether AMQP does, so the reason is the management plugin, not the broker.
      const amqpDown = await probeAmqp(plan, timeout);
      const reason = amqpDown ? `${errorReason(err)}; AMQP on port ${plan.amqpPort} fails too: ${errorReason(amqpDown)}` : errorReason(err);
      throw connectError(plan.label, err, reason);
    }
    // The management API (on its default port unless options say otherwise) must belong to the
    // broker behind the AMQP port named: the cluster names tell. When nothing speaks AMQP there,
    // the target is unreachable (exit 3) unless the node lists that port as its own listener,
    // which the connectivity check then reports as down.
    const amqpSide = await handshake(plan, timeout);
    const listeners = Array.isArray(overview.listeners) ? (overview.listeners as Array<{ port?: number }>) : [];
    if (amqpSide instanceof Error) {
      if (!listeners.some((l) => Number(l.port) === plan.amqpPort)) {
        throw connectError(
          plan.label,
          amqpSide,
          `${errorReason(amqpSide)} (the management API at ${plan.managementUrl} answers for a node listening on ${listeners.map((l) => l.port).join(', ') || 'no port'})`,
        );
      }
    } else if (amqpSide.cluster_name !== undefined && overview.cluster_name !== undefined && String(amqpSide.cluster_name) !== String(overview.cluster_name)) {
      throw connectError(
        plan.label,
        new Error('different brokers'),
        `the AMQP port belongs to cluster "${String(amqpSide.cluster_name)}" but the management API at ${plan.managementUrl} to "${String(overview.cluster_name)}": give options.management_url (or management_port) of this broker`,
      );
    }
    return new RabbitSession(plan, api, cfg, overview);
  }

  get label(): string {
    return this.plan.label;
  }

  async close(): Promise<void> {
    /* HTTP needs no teardown; each AMQP probe closes its own connection. */
  }

  private async sample(): Promise<Sample> {
    const at = Date.now();
    const queuesPath = this.plan.vhost !== undefined ? `/api/queues/${encodeURIComponent(this.plan.vhost)}` : '/api/queues';
    const [overview, nodes, queues] = await Promise.all([
      this.api.get<Json>('/api/overview'),
      this.api.get<NodeStats[]>('/api/nodes'),
      this.api.get<QueueStats[]>(`${queuesPath}?columns=${QUEUE_COLUMNS}`),
    ]);
    return { at, overview, nodes, queues };
  }

  async metrics(): Promise<Record<string, number>> {
    const o = await this.api.get<Json>('/api/overview');
    const totals = (o.object_totals ?? {}) as Json;
    const q = (o.queue_totals ?? {}) as Json;
    const out: Record<string, number> = { ...this.lastMetrics };
    for (const [k, v] of Object.entries({ ...totals, ...q })) if (typeof v === 'number') out[k] = v;
    return out;
  }

  async diagnose(options: DiagnoseOptions = {}, signal?: AbortSignal): Promise<DiagnosticResult> {
    const clock = beginDiagnosis(PLUGIN_ID, this.plan.label);
    const { windowMs, samples: count } = samplingWindow(options, this.cfg);
    const wanted = (options.categories ?? []).filter(Boolean);
    const findings: Finding[] = [];
    const unknown = unknownCategoriesFinding('RABBITMQ_UNKNOWN_CATEGORY', wanted, CATEGORIES);
    if (unknown) findings.push(unknown);
    const probing = wanted.length === 0 || wanted.includes('connectivity');
    const amqpProbe = probing ? probeAmqp(this.plan, this.cfg.connect_timeout_ms) : Promise.resolve(undefined);
    // A probe that got through opened and closed one connection, within the window
    const ownConnections = probing ? amqpProbe.then((err) => (err === undefined ? 1 : 0)) : Promise.resolve(0);
    const samples = await sampleOverWindow(() => this.sample(), { windowMs, samples: count, signal });
    const metrics: Record<string, number> = {};
    const input: CheckInput = { samples, cfg: this.cfg, plan: this.plan, get: (p) => this.api.get(p), amqpProbe, ownConnections, metrics };
    const checks = await runChecks(CHECKS, input, {
      categories: wanted,
      unavailable: (check, err) =>
        finding(
          check.category,
          'info',
          'RABBITMQ_CHECK_UNAVAILABLE',
          `The ${check.name} check could not run: ${errorReason(err)}`,
          { check: check.name, error: errorReason(err) },
          'Give the diagnosing user the monitoring tag (rabbitmqctl set_user_tags <user> monitoring) so that it can read every vhost and node.',
        ),
    });
    findings.push(...checks.findings);
    this.lastMetrics = metrics;
    const o = samples[samples.length - 1]!.overview;
    return clock.result({
      findings,
      metrics,
      server: {
        version: o.rabbitmq_version,
        erlang: o.erlang_version,
        cluster_name: o.cluster_name,
        node: o.node,
        vhost: this.plan.vhost ?? '(all)',
        management: this.plan.managementUrl,
        window_ms: windowMs,
        samples: count,
      },
      noneRan: checks.noneRan,
    });
  }
}
