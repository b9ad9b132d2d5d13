// The server itself: version against the supported range, and the uptime caveat of mysqltuner
// (ratios over less than a day of counters are not yet representative).
import type { Finding } from 'plugway/sdk';
import { finding, type Check, type CheckInput } from '../types.js';

const C = 'server';

export const serverCheck: Check = {
  name: 'server',
  category: C,
  async run(input: CheckInput): Promise<Finding[]> {
    const out: Finding[] = [];
    const { server } = input;
    input.metrics.uptime_seconds = server.uptimeSeconds;
    const old = server.flavor === 'mariadb' ? server.major < 10 || (server.major === 10 && server.minor < 3) : server.major < 5 || (server.major === 5 && server.minor < 7);
    if (old) {
      out.push(
        finding(
          C,
          'warning',
          'MYSQL_VERSION_OLD',
          `${server.flavor === 'mariadb' ? 'MariaDB' : 'MySQL'} ${server.version} is older than this plugin supports; some checks may be missing.`,
          { version: server.version, supported: server.flavor === 'mariadb' ? '>=10.3' : '>=5.7' },
          'Upgrade to a supported release (MySQL 8.0+, MariaDB 10.6+).',
        ),
      );
    }
    if (server.uptimeSeconds < input.config.min_uptime_seconds) {
      out.push(
        finding(
          C,
          'info',
          'MYSQL_UPTIME_SHORT',
          `The server has been up for ${server.uptimeSeconds} s: ratios over its lifetime are reported as info only.`,
          { uptime_seconds: server.uptimeSeconds, min_uptime_seconds: input.config.min_uptime_seconds },
          'Diagnose again after a day of normal load for representative ratios; window-based findings are already reliable.',
        ),
      );
    }
    return out;
  },
};
