// Checklist 14: binary log transactions whose cache spilled to disk (> 5%).
import type { Finding } from 'plugway/sdk';
import { finding, judgeRatio, pct, basisText, ratioEvidence, ratioSeverity, round, variable, type Check, type CheckInput } from '../types.js';

const C = 'binlog';

export const binlogCheck: Check = {
  name: 'binary log',
  category: C,
  async run(input: CheckInput): Promise<Finding[]> {
    const logBin = (variable(input, 'log_bin') ?? '').toUpperCase();
    if (logBin !== 'ON' && logBin !== '1') {
      return [
        finding(
          C,
          'info',
          'MYSQL_BINLOG_OFF',
          'The binary log is off: binlog cache checks do not apply (and this server cannot be a replication source or do point-in-time recovery).',
          { log_bin: logBin },
          'Nothing to do unless you need replication or point-in-time recovery (then enable log_bin).',
        ),
      ];
    }
    const j = judgeRatio(input, 'Binlog_cache_disk_use', 'Binlog_cache_use');
    if (!j) return [];
    input.metrics.binlog_cache_disk_ratio = round(j.ratio);
    if (j.ratio <= input.config.binlog_cache_disk_warning_ratio || j.numerator === 0) return [];
    return [
      finding(
        C,
        ratioSeverity(j, 'warning'),
        'MYSQL_BINLOG_CACHE_DISK',
        `${pct(j.ratio)} of transactions spilled the binary log cache to disk (${basisText(j)}).`,
        ratioEvidence(j, { binlog_cache_size: variable(input, 'binlog_cache_size'), warning_ratio: input.config.binlog_cache_disk_warning_ratio }),
        'Raise binlog_cache_size, or split very large transactions.',
      ),
    ];
  },
};
