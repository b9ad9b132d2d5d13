// rabbitmq-diagnostics check_alarms / check_local_alarms: memory and disk alarms on any node
// (publishers are blocked while one is raised), and the memory and disk headroom before them.
import type { Finding } from 'plugway/sdk';
import { finding, fmtMb, last, pct, round, type Check, type CheckInput } from './types.js';

const C = 'alarms';

export const alarmsCheck: Check = {
  name: 'alarms',
  category: C,
  async run(input: CheckInput): Promise<Finding[]> {
    const out: Finding[] = [];
    const { cfg } = input;
    // The health check endpoint is what check_alarms reads; the nodes' flags say which alarm.
    const health: { status: string; reason?: string } = await input.get<{ status: string; reason?: string }>('/api/health/checks/alarms').catch((err: { status?: number }) => {
      // 503 is the endpoint's answer when an alarm is in effect.
      if (err.status === 503) return { status: 'failed', reason: undefined };
      throw err;
    });
    const nodes = last(input).nodes;
    const memAlarm = nodes.filter((n) => n.mem_alarm);
    const diskAlarm = nodes.filter((n) => n.disk_free_alarm);
    for (const n of nodes) {
      if (n.mem_limit && n.mem_used !== undefined) input.metrics[`${n.name}.mem_used_ratio`] = round(n.mem_used / n.mem_limit);
    }
    if (memAlarm.length > 0) {
      out.push(
        finding(
          C,
          'critical',
          'RABBITMQ_MEMORY_ALARM',
          `Memory alarm on ${memAlarm.map((n) => n.name).join(', ')}: publishers on every node are blocked`,
          { nodes: memAlarm.map((n) => ({ node: n.name, mem_used: n.mem_used, mem_limit: n.mem_limit })), health_check: health.status },
          'Drain the queues holding messages in memory (start consumers, use lazy or quorum queues), find big connections in the management UI, or raise vm_memory_high_watermark if the host has memory to spare.',
        ),
      );
    }
    if (diskAlarm.length > 0) {
      out.push(
        finding(
          C,
          'critical',
          'RABBITMQ_DISK_ALARM',
          `Disk alarm on ${diskAlarm.map((n) => n.name).join(', ')}: free disk is below disk_free_limit and publishers are blocked`,
          { nodes: diskAlarm.map((n) => ({ node: n.name, disk_free: n.disk_free, disk_free_limit: n.disk_free_limit })), health_check: health.status },
          "Free disk space on the node's data directory (consume or purge backlogs, remove old logs), or give it a bigger disk.",
        ),
      );
    }
    if (health.status !== 'ok' && memAlarm.length === 0 && diskAlarm.length === 0) {
      out.push(
        finding(
          C,
          'critical',
          'RABBITMQ_ALARM',
          `The alarms health check failed: ${health.reason ?? 'an alarm is in effect'}`,
          { health_check: health },
          'Run rabbitmq-diagnostics alarms on the nodes to see which resource is short.',
        ),
      );
    }
    for (const n of nodes) {
      if (!n.mem_alarm && n.mem_limit && n.mem_used !== undefined && n.mem_used / n.mem_limit >= cfg.memory_warning_ratio) {
        out.push(
          finding(
            C,
            'warning',
            'RABBITMQ_MEMORY_HIGH',
            `${n.name} uses ${fmtMb(n.mem_used)} of its ${fmtMb(n.mem_limit)} memory watermark (${pct(n.mem_used / n.mem_limit)})`,
            { node: n.name, mem_used: n.mem_used, mem_limit: n.mem_limit, ratio: round(n.mem_used / n.mem_limit), warning_ratio: cfg.memory_warning_ratio },
            'The memory alarm fires at the watermark and blocks publishers: drain backlogs or add memory before it does.',
          ),
        );
      }
      if (!n.disk_free_alarm && n.disk_free !== undefined && n.disk_free_limit && n.disk_free < n.disk_free_limit * cfg.disk_free_warning_factor) {
        out.push(
          finding(
            C,
            'warning',
            'RABBITMQ_DISK_LOW',
            `${n.name} has ${fmtMb(n.disk_free)} free, less than ${cfg.disk_free_warning_factor}× its disk_free_limit of ${fmtMb(n.disk_free_limit)}`,
            { node: n.name, disk_free: n.disk_free, disk_free_limit: n.disk_free_limit, warning_factor: cfg.disk_free_warning_factor },
            'The disk alarm fires at disk_free_limit and blocks publishers: free space now.',
          ),
        );
      }
    }
    return out;
  },
};
