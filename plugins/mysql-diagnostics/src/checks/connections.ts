// Checklist 4–5: connections against max_connections now and at their peak, aborted connects.
import type { Finding } from 'plugway/sdk';
import { finding, judgeRatio, latest, pct, basisText, ratioEvidence, ratioSeverity, round, variable, type Check, type CheckInput } from '../types.js';

const C = 'connections';

export const connectionsCheck: Check = {
  name: 'connections',
  category: C,
  async run(input: CheckInput): Promise<Finding[]> {
    const out: Finding[] = [];
    const max = Number(variable(input, 'max_connections'));
    const connected = latest(input, 'Threads_connected');
    const maxUsed = latest(input, 'Max_used_connections');
    input.metrics.threads_connected = connected;
    input.metrics.max_connections = max;
    input.metrics.threads_running = latest(input, 'Threads_running');
    if (max > 0 && Number.isFinite(connected)) {
      const ratio = connected / max;
      input.metrics.connections_ratio = round(ratio);
      const { connections_warning_ratio: warn, connections_critical_ratio: crit } = input.config;
      if (ratio >= warn) {
        out.push(
          finding(
            C,
            ratio >= crit ? 'critical' : 'warning',
            'MYSQL_CONNECTIONS_HIGH',
            `${connected} of ${max} connections in use (${pct(ratio)}).`,
            { threads_connected: connected, max_connections: max, ratio: round(ratio), warning_ratio: warn, critical_ratio: crit },
            'Find who holds connections (SHOW PROCESSLIST), use a connection pool, or raise max_connections if memory allows.',
          ),
        );
      }
    }
    if (max > 0 && Number.isFinite(maxUsed) && maxUsed / max > input.config.max_used_connections_warning_ratio) {
      // A peak since start, however long ago: history (info); the connections now are MYSQL_CONNECTIONS_HIGH.
      out.push(
        finding(
          C,
          'info',
          'MYSQL_MAX_USED_CONNECTIONS_HIGH',
          `Connections peaked at ${maxUsed} of ${max} (${pct(maxUsed / max)}) since start (${Number.isFinite(connected) ? `${connected} now` : 'now unknown'}).`,
          { max_used_connections: maxUsed, max_connections: max, threads_connected: connected, since: 'start', warning_ratio: input.config.max_used_connections_warning_ratio },
          'The server came close to refusing connections at some point since it started: if that peak recurs, raise max_connections or reduce idle connections in the pools (FLUSH STATUS resets the peak).',
        ),
      );
    }
    const aborted = judgeRatio(input, 'Aborted_connects', 'Connections');
    if (aborted) {
      input.metrics.aborted_connects_ratio = round(aborted.ratio);
      if (aborted.ratio > input.config.aborted_connects_warning_ratio && aborted.numerator > 0) {
        out.push(
          finding(
            C,
            ratioSeverity(aborted, 'warning'),
            'MYSQL_ABORTED_CONNECTS',
            `${pct(aborted.ratio)} of connection attempts were aborted (${basisText(aborted)}).`,
            ratioEvidence(aborted, { warning_ratio: input.config.aborted_connects_warning_ratio }),
            'Check clients for wrong passwords, missing privileges or connect_timeout; the error log names them.',
          ),
        );
      }
    }
    return out;
  },
};
