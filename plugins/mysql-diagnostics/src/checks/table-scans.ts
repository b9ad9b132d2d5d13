// Full table scans and joins without indexes from the status counters, which need no
// performance_schema (MariaDB's default is off): Select_scan and Handler_read_rnd_next (rows read
// by scans) and Select_full_join + Select_range_check (mysqltuner's "joins performed without
// indexes", > 250 a day) over the window, the diagnosis's own statements taken out.
import type { Finding } from 'plugway/sdk';
import { elapsedMs, finding, latest, othersDelta, round, type Check, type CheckInput } from '../types.js';

const C = 'queries';
const DAY = 86_400;

export const tableScansCheck: Check = {
  name: 'table scans',
  category: C,
  async run(input: CheckInput): Promise<Finding[]> {
    const out: Finding[] = [];
    const c = input.config;
    const seconds = elapsedMs(input) / 1000 || 1;
    const scans = othersDelta(input, 'Select_scan');
    const rowsScanned = othersDelta(input, 'Handler_read_rnd_next');
    const fullJoins = othersDelta(input, 'Select_full_join') + othersDelta(input, 'Select_range_check');
    const rowsPerSecond = rowsScanned / seconds;
    Object.assign(input.metrics, {
      full_scans_per_second: round(scans / seconds, 2),
      rows_read_by_scans_per_second: round(rowsPerSecond, 0),
      joins_without_index_per_second: round(fullJoins / seconds, 3),
    });
    if (scans >= c.full_scan_min_scans && rowsPerSecond >= c.full_scan_rows_per_second_warning) {
      out.push(
        finding(
          C,
          'warning',
          'MYSQL_FULL_TABLE_SCANS',
          `${scans} full table scans during the window read ${Math.round(rowsPerSecond)} rows per second.`,
          {
            full_scans_in_window: scans,
            rows_read_by_scans_in_window: rowsScanned,
            rows_per_second: round(rowsPerSecond, 0),
            window_seconds: round(seconds, 2),
            warning_rows_per_second: c.full_scan_rows_per_second_warning,
            min_scans: c.full_scan_min_scans,
            source: 'Select_scan, Handler_read_rnd_next',
          },
          'Find the statements (slow log with log_queries_not_using_indexes, or performance_schema digests) and index the columns they filter and sort on.',
        ),
      );
    }
    const joinsPerDay = (fullJoins / seconds) * DAY;
    if (fullJoins > 0 && joinsPerDay >= c.joins_without_index_per_day_warning) {
      out.push(
        finding(
          C,
          'warning',
          'MYSQL_JOINS_WITHOUT_INDEXES',
          `${fullJoins} join(s) without an index during the window (about ${Math.round(joinsPerDay)} a day).`,
          { joins_in_window: fullJoins, per_day: Math.round(joinsPerDay), warning_per_day: c.joins_without_index_per_day_warning, source: 'Select_full_join + Select_range_check' },
          'Index the join columns of the joined tables (EXPLAIN shows "Using join buffer" or type ALL on the second table).',
        ),
      );
    } else {
      // mysqltuner's reading over the uptime: history, not a warning.
      const uptime = input.server.uptimeSeconds;
      const lifetime = (latest(input, 'Select_full_join') || 0) + (latest(input, 'Select_range_check') || 0);
      const lifetimePerDay = uptime > 0 ? (lifetime / uptime) * DAY : 0;
      if (lifetime > 0 && lifetimePerDay >= c.joins_without_index_per_day_warning && uptime >= c.min_uptime_seconds) {
        out.push(
          finding(
            C,
            'info',
            'MYSQL_JOINS_WITHOUT_INDEXES_PAST',
            `${lifetime} joins without an index since start (about ${Math.round(lifetimePerDay)} a day), none during the window.`,
            { joins_since_start: lifetime, per_day: Math.round(lifetimePerDay), uptime_seconds: uptime, warning_per_day: c.joins_without_index_per_day_warning },
            'Look for them while they run (or in the slow log with log_queries_not_using_indexes) and index their join columns.',
          ),
        );
      }
    }
    return out;
  },
};
