// Checklist 13: open files against open_files_limit (85%), thread cache hit rate (≤ 50%).
import type { Finding } from 'plugway/sdk';
import { finding, judgeRatio, latest, pct, basisText, ratioEvidence, ratioSeverity, round, variable, type Check, type CheckInput } from '../types.js';

const C = 'resources';

export const resourcesCheck: Check = {
  name: 'resources',
  category: C,
  async run(input: CheckInput): Promise<Finding[]> {
    const out: Finding[] = [];
    const open = latest(input, 'Open_files');
    const limit = Number(variable(input, 'open_files_limit'));
    if (Number.isFinite(open) && limit > 0) {
      input.metrics.open_files_ratio = round(open / limit);
      if (open / limit > input.config.open_files_warning_ratio) {
        out.push(
          finding(
            C,
            'warning',
            'MYSQL_OPEN_FILES_HIGH',
            `${open} of ${limit} files are open (${pct(open / limit)}).`,
            { open_files: open, open_files_limit: limit, warning_ratio: input.config.open_files_warning_ratio },
            'Raise open_files_limit (and the service LimitNOFILE), or lower table_open_cache.',
          ),
        );
      }
    }
    // Thread cache hit = 1 − Threads_created / Connections.
    const created = judgeRatio(input, 'Threads_created', 'Connections');
    if (created) {
      const hit = 1 - created.ratio;
      input.metrics.thread_cache_hit_ratio = round(hit);
      const cacheSize = Number(variable(input, 'thread_cache_size'));
      if (hit <= input.config.thread_cache_hit_warning_ratio && created.denominator >= 10) {
        out.push(
          finding(
            C,
            ratioSeverity(created, 'warning'),
            'MYSQL_THREAD_CACHE_HIT_LOW',
            `Only ${pct(hit)} of connections reused a cached thread (${basisText(created)}).`,
            ratioEvidence(created, { hit_ratio: round(hit), thread_cache_size: cacheSize, warning_at_or_below: input.config.thread_cache_hit_warning_ratio }),
            'Raise thread_cache_size so that new connections do not create threads.',
          ),
        );
      }
    }
    return out;
  },
};
