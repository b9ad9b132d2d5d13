// Checklist 1: reachability, auth, role, mode and version (older than 6 lacks ACLs, RESP3, threaded I/O).
import { compareVersions, num } from '../info.js';
import { finding, type Check } from './types.js';

export const serverCheck: Check = async ({ info, cfg, metrics }) => {
  const version = info.redis_version ?? 'unknown';
  metrics.uptime_seconds = num(info, 'uptime_in_seconds') ?? 0;
  if (version !== 'unknown' && compareVersions(version, cfg.min_version) < 0) {
    return [
      finding(
        'server',
        'warning',
        'REDIS_VERSION_OLD',
        `Redis ${version} is older than ${cfg.min_version}`,
        { version, min_version: cfg.min_version },
        'Upgrade to a supported Redis (6.2 or newer): older versions lack ACLs, error stats and security fixes.',
      ),
    ];
  }
  return [];
};
