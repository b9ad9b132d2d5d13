// Checklist 1 and 12: every advertised broker reachable (its own connection, same TLS/SASL), a controller elected, and how
// the client authenticated (SASL mechanism, TLS) as findings.
import kafkajs from 'kafkajs';
// kafkajs is CommonJS: Node cannot see all of its named exports, so read them from the default export.
const { Kafka, logLevel } = kafkajs;
import type { Finding } from 'plugway/sdk';
import type { KafkaPlan } from '../target.js';
import { finding, type KafkaInput } from './types.js';

/** Connects to one broker alone (same TLS and SASL) and asks for metadata: reachable and answering. */
async function reachable(plan: KafkaPlan, address: string, timeoutMs: number): Promise<string | undefined> {
  const admin = new Kafka({ ...plan.client, brokers: [address], logLevel: logLevel.NOTHING, connectionTimeout: timeoutMs, retry: { retries: 0 } }).admin({ retry: { retries: 0 } });
  try {
    await admin.connect();
    return undefined;
  } catch (err) {
    return (err as Error).message;
  } finally {
    await admin.disconnect().catch(() => {});
  }
}

export async function brokerFindings(input: KafkaInput): Promise<Finding[]> {
  const { brokers, controller, cfg, plan, metrics } = input;
  const out: Finding[] = [];
  metrics.brokers = brokers.length;
  const results = await Promise.all(brokers.map(async (b) => ({ b, err: await reachable(plan, `${b.host}:${b.port}`, Math.min(cfg.connect_timeout_ms, 3000)) })));
  const down = results.filter((r) => r.err);
  metrics.brokers_unreachable = down.length;
  if (down.length > 0) {
    out.push(
      finding(
        'brokers',
        down.length === brokers.length ? 'critical' : 'warning',
        'KAFKA_BROKER_UNREACHABLE',
        `${down.length} of ${brokers.length} advertised brokers do not accept connections`,
        { unreachable: down.map((r) => ({ id: r.b.nodeId, address: `${r.b.host}:${r.b.port}`, reason: r.err })), brokers: brokers.length },
        'Check that those brokers run and that their advertised.listeners resolve and are reachable from clients.',
      ),
    );
  }
  if (controller === null || controller === undefined || controller < 0) {
    out.push(
      finding(
        'brokers',
        'critical',
        'KAFKA_NO_CONTROLLER',
        'The cluster reports no active controller',
        { controller },
        'Without a controller no leader elections or topic changes happen: check the controller quorum (KRaft) or ZooKeeper.',
      ),
    );
  } else if (!brokers.some((b) => b.nodeId === controller)) {
    out.push(
      finding(
        'brokers',
        'info',
        'KAFKA_CONTROLLER_NOT_A_BROKER',
        `Controller id ${controller} is not among the advertised brokers`,
        { controller, brokers: brokers.map((b) => b.nodeId) },
        'Normal with KRaft (brokers report a random broker or a separate controller quorum); otherwise check the metadata.',
      ),
    );
  }
  if (plan.sasl) {
    out.push(
      finding(
        'security',
        'info',
        'KAFKA_SASL_OK',
        `Authenticated with SASL ${plan.sasl.mechanism.toUpperCase()} as ${plan.sasl.username}`,
        { mechanism: plan.sasl.mechanism, username: plan.sasl.username, tls: plan.tls },
        'Nothing to do.',
      ),
    );
    if (plan.sasl.mechanism === 'plain' && !plan.tls) {
      out.push(
        finding(
          'security',
          'warning',
          'KAFKA_SASL_PLAIN_WITHOUT_TLS',
          'SASL PLAIN sends the password in clear text over a connection without TLS',
          { mechanism: 'plain', tls: false },
          'Use SASL_SSL (TLS) listeners, or SCRAM-SHA-512 at the least.',
        ),
      );
    }
  }
  if (plan.tls) out.push(finding('security', 'info', 'KAFKA_TLS_OK', 'TLS handshake with the brokers succeeded', { tls: true }, 'Nothing to do.'));
  if (!plan.sasl && !plan.tls) {
    out.push(
      finding(
        'security',
        'info',
        'KAFKA_NO_AUTH',
        'Connected without SASL and without TLS (PLAINTEXT listener)',
        { sasl: false, tls: false },
        'Fine on a private network; elsewhere enable SASL_SSL listeners and ACLs.',
      ),
    );
  }
  return out;
}
