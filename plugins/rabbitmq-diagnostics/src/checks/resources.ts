// File descriptors, sockets and Erlang processes per node against their limits: at the limit a
// node refuses new connections (sockets) or stops opening files and queues (descriptors).
import type { Finding } from 'plugway/sdk';
import { finding, last, level, pct, round, type Check, type CheckInput, type NodeStats } from './types.js';

const C = 'resources';

const LIMITS = [
  {
    used: 'fd_used',
    total: 'fd_total',
    code: 'RABBITMQ_FDS_NEAR_LIMIT',
    what: 'file descriptors',
    warn: 'fd_warning_ratio',
    crit: 'fd_critical_ratio',
    fix: 'Raise the open-files limit of the RabbitMQ service (ulimit -n / LimitNOFILE, e.g. 65536) and look for connection leaks.',
  },
  {
    used: 'sockets_used',
    total: 'sockets_total',
    code: 'RABBITMQ_SOCKETS_NEAR_LIMIT',
    what: 'sockets',
    warn: 'sockets_warning_ratio',
    crit: 'sockets_critical_ratio',
    fix: 'New connections are refused at the limit: raise the open-files limit (sockets are a share of it) and make clients reuse long-lived connections.',
  },
  {
    used: 'proc_used',
    total: 'proc_total',
    code: 'RABBITMQ_PROCESSES_NEAR_LIMIT',
    what: 'Erlang processes',
    warn: 'processes_warning_ratio',
    crit: 'processes_critical_ratio',
    fix: 'Each connection, channel and queue is a process: close leaked channels and connections, or raise the Erlang process limit (+P).',
  },
] as const;

export const resourcesCheck: Check = {
  name: 'resources',
  category: C,
  async run(input: CheckInput): Promise<Finding[]> {
    const out: Finding[] = [];
    for (const n of last(input).nodes) {
      for (const l of LIMITS) {
        const used = n[l.used as keyof NodeStats] as number | undefined;
        const total = n[l.total as keyof NodeStats] as number | undefined;
        if (typeof used !== 'number' || typeof total !== 'number' || total <= 0) continue;
        const ratio = used / total;
        input.metrics[`${n.name}.${l.used}`] = used;
        input.metrics[`${n.name}.${l.total}`] = total;
        const warn = input.cfg[l.warn];
        const crit = input.cfg[l.crit];
        const sev = level(ratio, warn, crit);
        if (!sev) continue;
        out.push(
          finding(C, sev, l.code, `${n.name} uses ${used} of ${total} ${l.what} (${pct(ratio)})`, { node: n.name, used, total, ratio: round(ratio), warning_ratio: warn, critical_ratio: crit }, l.fix),
        );
      }
    }
    return out;
  },
};
