// The server itself: version against the supported range, role (primary or replica).
import type { Finding } from 'plugway/sdk';
import { finding, type Check, type CheckInput } from '../types.js';

const C = 'server';

export const serverCheck: Check = {
  name: 'server',
  category: C,
  async run(input: CheckInput): Promise<Finding[]> {
    input.metrics.server_version_num = input.server.versionNum;
    input.metrics.in_recovery = input.server.inRecovery ? 1 : 0;
    if (input.server.versionNum < 120000) {
      return [
        finding(
          C,
          'warning',
          'PG_VERSION_OLD',
          `PostgreSQL ${input.server.version} is older than this plugin supports (>= 12); some checks may fail.`,
          { version: input.server.version },
          'Upgrade to a supported PostgreSQL release.',
        ),
      ];
    }
    return [];
  },
};
