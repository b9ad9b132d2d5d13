// Queues: a backlog growing with no consumer (or faster than its consumers take it), unacked
// messages piling up behind consumers that do not ack, consumer utilisation (the share of time
// a queue could deliver at once), and queues that are not running — as the Grafana dashboards
// over rabbitmq_prometheus show them. "Growing" is judged over the window.
import type { Finding } from 'plugway/sdk';
import { detailRate, finding, first, last, num, queueName, round, type Check, type CheckInput, type Json, type QueueStats } from './types.js';

const C = 'queues';
const BAD_STATES = new Set(['down', 'crashed', 'stopped', 'minority', 'terminated']);

interface QueueEvidence {
  queue: string;
  vhost: string;
  type?: string;
  consumers: number;
  messages_ready: number;
  messages_unacknowledged: number;
  ready_growth_per_second: number;
  publish_per_second: number;
  deliver_get_per_second: number;
  ack_per_second: number;
}

interface Channel {
  name: string;
  vhost: string;
  messages_unacknowledged?: number;
  prefetch_count?: number;
  global_prefetch_count?: number;
  consumer_count?: number;
  connection_details?: { name?: string; peer_host?: string; peer_port?: number };
}

export const queuesCheck: Check = {
  name: 'queues',
  category: C,
  async run(input: CheckInput): Promise<Finding[]> {
    const out: Finding[] = [];
    const { cfg } = input;
    const before = new Map(first(input).queues.map((q) => [queueName(q), q]));
    const queues = last(input).queues;
    const seconds = (last(input).at - first(input).at) / 1000 || 1;
    input.metrics.queues = queues.length;
    input.metrics.messages_ready = queues.reduce((s, q) => s + (num(q.messages_ready) || 0), 0);
    input.metrics.messages_unacknowledged = queues.reduce((s, q) => s + (num(q.messages_unacknowledged) || 0), 0);
    const noConsumerGrowing: QueueEvidence[] = [];
    const noConsumerStatic: QueueEvidence[] = [];
    const outpaced: QueueEvidence[] = [];
    const unacked: Array<QueueEvidence & { unacked_growth_in_window: number }> = [];
    const slowConsumers: Array<QueueEvidence & { consumer_utilisation: number }> = [];
    const broken: Array<QueueEvidence & { state: string; node?: string }> = [];
    for (const q of queues) {
      const name = queueName(q);
      const b = before.get(name);
      const ready = num(q.messages_ready) || 0;
      const un = num(q.messages_unacknowledged) || 0;
      const readyDelta = b ? ready - (num(b.messages_ready) || 0) : 0;
      const unDelta = b ? un - (num(b.messages_unacknowledged) || 0) : 0;
      // The API refreshes queue counts every collect_statistics_interval (5 s): its own rate and the
      // window's delta are both read, either showing growth is enough.
      const readyRate = Math.max(detailRate(q as unknown as Json, 'messages_ready'), readyDelta / seconds);
      const consumers = num(q.consumers) || 0;
      const stats = (q.message_stats ?? {}) as Json;
      const ev: QueueEvidence = {
        queue: q.name,
        vhost: q.vhost,
        type: q.type,
        consumers,
        messages_ready: ready,
        messages_unacknowledged: un,
        ready_growth_per_second: round(readyRate, 2),
        publish_per_second: round(detailRate(stats, 'publish'), 2),
        deliver_get_per_second: round(detailRate(stats, 'deliver_get'), 2),
        ack_per_second: round(detailRate(stats, 'ack'), 2),
      };
      if (q.state && BAD_STATES.has(q.state)) broken.push({ ...ev, state: q.state, node: q.node });
      if (ready >= cfg.backlog_min_messages) {
        if (consumers === 0) (readyRate > 0 ? noConsumerGrowing : noConsumerStatic).push(ev);
        else if (readyRate > 0) outpaced.push(ev);
        const util = q.consumer_capacity ?? q.consumer_utilisation;
        if (consumers > 0 && typeof util === 'number' && util < cfg.consumer_utilisation_warning) slowConsumers.push({ ...ev, consumer_utilisation: round(util, 3) });
      }
      if (un >= cfg.unacked_warning_messages && unDelta >= 0) unacked.push({ ...ev, unacked_growth_in_window: unDelta });
    }
    const top = <T extends QueueEvidence>(xs: T[]): T[] => xs.sort((a, b) => b.messages_ready - a.messages_ready).slice(0, cfg.queues_listed);
    if (broken.length > 0) {
      out.push(
        finding(
          C,
          'critical',
          'RABBITMQ_QUEUE_NOT_RUNNING',
          `${broken.length} queue(s) are not running (${broken
            .map((q) => `${q.vhost}/${q.queue}: ${q.state}`)
            .slice(0, 5)
            .join(', ')})`,
          { queues: broken.slice(0, cfg.queues_listed) },
          'A queue whose leader node is down or that crashed cannot take or deliver messages: bring its node back, or see rabbitmq-queues check_if_node_is_quorum_critical and the node log.',
        ),
      );
    }
    if (noConsumerGrowing.length > 0) {
      out.push(
        finding(
          C,
          'warning',
          'RABBITMQ_QUEUE_BACKLOG_NO_CONSUMERS',
          `${noConsumerGrowing.length} queue(s) with no consumer keep growing (worst: ${top(noConsumerGrowing)[0]!.vhost}/${top(noConsumerGrowing)[0]!.queue}, ${top(noConsumerGrowing)[0]!.messages_ready} ready)`,
          { queues: top(noConsumerGrowing), min_messages: cfg.backlog_min_messages },
          'Nothing consumes these queues: start (or fix) their consumers, or stop publishing to them; set a max-length or message TTL policy so they cannot fill the node.',
        ),
      );
    }
    if (noConsumerStatic.length > 0) {
      out.push(
        finding(
          C,
          'info',
          'RABBITMQ_QUEUE_NO_CONSUMERS',
          `${noConsumerStatic.length} queue(s) hold ${cfg.backlog_min_messages}+ ready messages and have no consumer, not growing during the window`,
          { queues: top(noConsumerStatic), min_messages: cfg.backlog_min_messages },
          'If nobody will read them, purge or delete these queues (action purge-queue); otherwise start a consumer.',
        ),
      );
    }
    if (outpaced.length > 0) {
      out.push(
        finding(
          C,
          'warning',
          'RABBITMQ_QUEUE_BACKLOG_GROWING',
          `${outpaced.length} queue(s) grow faster than their consumers take messages`,
          { queues: top(outpaced), min_messages: cfg.backlog_min_messages },
          'Add consumers or make them faster (a higher prefetch with manual acks, fewer round trips per message).',
        ),
      );
    }
    if (unacked.length > 0) {
      const channels = await input
        .get<Channel[]>('/api/channels?columns=name,vhost,messages_unacknowledged,prefetch_count,global_prefetch_count,consumer_count,connection_details')
        .catch(() => [] as Channel[]);
      const holding = channels
        .filter((c) => (c.messages_unacknowledged ?? 0) > 0 && unacked.some((q) => q.vhost === c.vhost))
        .sort((a, b) => (b.messages_unacknowledged ?? 0) - (a.messages_unacknowledged ?? 0))
        .slice(0, cfg.queues_listed)
        .map((c) => ({ channel: c.name, vhost: c.vhost, messages_unacknowledged: c.messages_unacknowledged, prefetch_count: c.prefetch_count, consumer_count: c.consumer_count }));
      const unlimited = holding.filter((c) => !c.prefetch_count);
      out.push(
        finding(
          C,
          'warning',
          'RABBITMQ_UNACKED_HIGH',
          `${unacked.length} queue(s) have ${cfg.unacked_warning_messages}+ delivered messages not acknowledged, not going down during the window`,
          {
            queues: unacked.sort((a, b) => b.messages_unacknowledged - a.messages_unacknowledged).slice(0, cfg.queues_listed),
            channels: holding,
            channels_without_prefetch: unlimited.length,
            warning_messages: cfg.unacked_warning_messages,
          },
          `Consumers take messages and do not ack them (a bug, or stuck work): fix the ack path; set a prefetch (basic.qos)${unlimited.length ? ' — some channels have none, so every message is pushed to them' : ''} so one stuck consumer cannot hold the whole queue.`,
        ),
      );
    }
    if (slowConsumers.length > 0) {
      out.push(
        finding(
          C,
          'warning',
          'RABBITMQ_CONSUMER_UTILISATION_LOW',
          `${slowConsumers.length} queue(s) with consumers and a backlog could deliver to them less than ${round(cfg.consumer_utilisation_warning * 100, 0)}% of the time`,
          { queues: top(slowConsumers), warning_below: cfg.consumer_utilisation_warning },
          'The consumers are the bottleneck: they are busy or their prefetch is full of unacked messages; raise the prefetch, ack sooner, or add consumers.',
        ),
      );
    }
    return out;
  },
};

export type { QueueStats };
