// Connection and channel churn: opened per second over the window (the management API's own
// rates and the counters' deltas). Opening a connection or channel per message costs the broker
// far more than the message; the Grafana "RabbitMQ-Overview" dashboard plots the same churn.
import type { Finding } from 'plugway/sdk';
import { detailRate, finding, first, last, num, round, windowSeconds, type Check, type CheckInput, type Json } from './types.js';

const C = 'churn';

/** `own`: what the diagnosis itself opened (or closed) during the window, taken off the count. */
function rate(input: CheckInput, field: string, own = 0): { per_second: number; in_window: number } {
  const a = (first(input).overview.churn_rates ?? {}) as Json;
  const b = (last(input).overview.churn_rates ?? {}) as Json;
  const delta = Math.max(0, (num(b[field]) || 0) - (num(a[field]) || 0) - own);
  return { per_second: round(Math.max(detailRate(b, field), delta / windowSeconds(input)), 2), in_window: delta };
}

export const churnCheck: Check = {
  name: 'churn',
  category: C,
  async run(input: CheckInput): Promise<Finding[]> {
    const out: Finding[] = [];
    const totals = (last(input).overview.object_totals ?? {}) as Json;
    // The diagnosis's own AMQP probe opens and closes a connection within the window: not the clients' churn.
    const own = (await input.ownConnections) ?? 0;
    const conns = rate(input, 'connection_created', own);
    const connsClosed = rate(input, 'connection_closed', own);
    const chans = rate(input, 'channel_created');
    const chansClosed = rate(input, 'channel_closed');
    Object.assign(input.metrics, {
      connections: num(totals.connections) || 0,
      channels: num(totals.channels) || 0,
      consumers: num(totals.consumers) || 0,
      connections_opened_per_second: conns.per_second,
      connections_closed_per_second: connsClosed.per_second,
      channels_opened_per_second: chans.per_second,
      channels_closed_per_second: chansClosed.per_second,
    });
    if (conns.per_second >= input.cfg.connection_churn_per_second) {
      out.push(
        finding(
          C,
          'warning',
          'RABBITMQ_CONNECTION_CHURN',
          `${conns.per_second} connections opened per second (${connsClosed.per_second} closed); ${num(totals.connections) || 0} open`,
          {
            opened_per_second: conns.per_second,
            closed_per_second: connsClosed.per_second,
            opened_in_window: conns.in_window,
            open_connections: totals.connections,
            threshold_per_second: input.cfg.connection_churn_per_second,
          },
          'Clients open a connection per message or request: keep connections long-lived (one per process), and pool them in short-lived runtimes.',
        ),
      );
    }
    if (chans.per_second >= input.cfg.channel_churn_per_second) {
      out.push(
        finding(
          C,
          'warning',
          'RABBITMQ_CHANNEL_CHURN',
          `${chans.per_second} channels opened per second (${chansClosed.per_second} closed); ${num(totals.channels) || 0} open`,
          {
            opened_per_second: chans.per_second,
            closed_per_second: chansClosed.per_second,
            opened_in_window: chans.in_window,
            open_channels: totals.channels,
            threshold_per_second: input.cfg.channel_churn_per_second,
          },
          'Reuse channels (one per thread or consumer) instead of opening one per operation.',
        ),
      );
    }
    return out;
  },
};
