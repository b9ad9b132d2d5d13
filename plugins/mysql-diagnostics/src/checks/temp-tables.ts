// Checklist 8: implicit temporary tables that went to disk (mysqltuner: > 25%).
import type { Finding } from 'plugway/sdk';
import { finding, judgeRatio, pct, basisText, ratioEvidence, ratioSeverity, round, variable, type Check, type CheckInput } from '../types.js';

const C = 'queries';

export const tempTablesCheck: Check = {
  name: 'temporary tables',
  category: C,
  async run(input: CheckInput): Promise<Finding[]> {
    const j = judgeRatio(input, 'Created_tmp_disk_tables', 'Created_tmp_tables');
    if (!j) return [];
    input.metrics.tmp_disk_tables_ratio = round(j.ratio);
    if (j.ratio <= input.config.tmp_disk_tables_warning_ratio || j.numerator === 0) return [];
    return [
      finding(
        C,
        ratioSeverity(j, 'warning'),
        'MYSQL_TMP_DISK_TABLES',
        `${pct(j.ratio)} of temporary tables were created on disk (${basisText(j)}).`,
        ratioEvidence(j, { tmp_table_size: variable(input, 'tmp_table_size'), max_heap_table_size: variable(input, 'max_heap_table_size'), warning_ratio: input.config.tmp_disk_tables_warning_ratio }),
        'Raise tmp_table_size and max_heap_table_size together, and avoid TEXT/BLOB columns in GROUP BY/ORDER BY results.',
      ),
    ];
  },
};
