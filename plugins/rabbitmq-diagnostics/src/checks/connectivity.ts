// rabbitmq-diagnostics check_port_connectivity: the target's AMQP listener accepts a connection
// and the AMQP handshake (with these credentials) completes; the node says it listens there.
import type { Finding } from 'plugway/sdk';
import { errorReason } from 'plugway/sdk';
import { finding, type Check, type CheckInput } from './types.js';

const C = 'connectivity';

export const connectivityCheck: Check = {
  name: 'AMQP port connectivity',
  category: C,
  async run(input: CheckInput): Promise<Finding[]> {
    const err = await input.amqpProbe;
    input.metrics.amqp_port_ok = err ? 0 : 1;
    if (!err) return [];
    const listener = await input
      .get<{ status: string; reason?: string }>(`/api/health/checks/port-listener/${input.plan.amqpPort}`)
      .catch((e: { status?: number; message?: string }) => ({ status: e.status === 503 ? 'failed' : 'unknown', reason: e.message }));
    const refusedLogin = /ACCESS_REFUSED|403|NOT_ALLOWED|not_allowed/i.test(errorReason(err));
    return [
      finding(
        C,
        refusedLogin ? 'warning' : 'critical',
        'RABBITMQ_AMQP_UNREACHABLE',
        refusedLogin ? `The AMQP listener on port ${input.plan.amqpPort} refused the login: ${errorReason(err)}` : `No AMQP connection to port ${input.plan.amqpPort}: ${errorReason(err)}`,
        { port: input.plan.amqpPort, error: errorReason(err), port_listener_check: listener },
        refusedLogin
          ? 'The user cannot open AMQP connections to this vhost: grant it permissions (rabbitmqctl set_permissions) or check loopback_users for guest.'
          : "Clients cannot connect: check the listeners (rabbitmq-diagnostics listeners), the firewall, and the node's log.",
      ),
    ];
  },
};
