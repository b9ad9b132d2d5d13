// Checklist 9–10: InnoDB buffer pool read efficiency (reads served from memory), pages waited for
// because none were free, and redo log waits rising over the window.
import type { Finding } from 'plugway/sdk';
import { finding, judgeRatio, latest, pct, basisText, ratioEvidence, ratioSeverity, round, variable, windowDelta, type Check, type CheckInput } from '../types.js';

const C = 'innodb';
/** Page read requests the window needs before read efficiency is judged on it (else lifetime counters). */
export const BUFFER_POOL_MIN_READS = 1000;

export const bufferPoolCheck: Check = {
  name: 'buffer pool',
  category: C,
  async run(input: CheckInput): Promise<Finding[]> {
    const out: Finding[] = [];
    const size = Number(variable(input, 'innodb_buffer_pool_size'));
    const total = latest(input, 'Innodb_buffer_pool_pages_total');
    const free = latest(input, 'Innodb_buffer_pool_pages_free');
    if (Number.isFinite(total) && total > 0) input.metrics.buffer_pool_used_ratio = round(1 - free / total);
    // A few hundred page reads say little (a buffer pool warming up after a start misses by design,
    // and the diagnosis's own metadata reads are among them): the window is judged from 1,000 reads.
    // Pages read ahead during scans count in Innodb_buffer_pool_reads but were never requested, so
    // reads can outnumber requests and 1 − reads/requests go below 0 ("Only -0.5 %"). As mysqltuner
    // does, the efficiency is clamped to 0–100%: every requested page came from disk.
    const misses = judgeRatio(input, 'Innodb_buffer_pool_reads', 'Innodb_buffer_pool_read_requests', Math.max(input.config.min_window_events, BUFFER_POOL_MIN_READS));
    if (misses) {
      const readAhead = misses.basis === 'window' ? windowDelta(input, 'Innodb_buffer_pool_read_ahead') : latest(input, 'Innodb_buffer_pool_read_ahead');
      const efficiency = Math.min(1, Math.max(0, 1 - misses.ratio));
      input.metrics.buffer_pool_read_efficiency = round(efficiency);
      if (efficiency < input.config.buffer_pool_read_efficiency_warning) {
        const aheadNote = misses.ratio > 1 ? ' — read-ahead brought in more pages than were requested' : '';
        out.push(
          finding(
            C,
            ratioSeverity(misses, 'warning'),
            'MYSQL_BUFFER_POOL_READ_EFFICIENCY',
            `Only ${pct(efficiency)} of InnoDB page reads were served from the buffer pool (${basisText(misses)}${aheadNote}).`,
            ratioEvidence(misses, {
              efficiency: round(efficiency),
              disk_reads: misses.numerator,
              read_ahead: readAhead,
              read_requests: misses.denominator,
              innodb_buffer_pool_size: size,
              warning_below: input.config.buffer_pool_read_efficiency_warning,
            }),
            'Raise innodb_buffer_pool_size towards the working set (often 50–75% of RAM on a dedicated server).',
          ),
        );
      }
    }
    const waitFree = latest(input, 'Innodb_buffer_pool_wait_free');
    const waitFreeInWindow = windowDelta(input, 'Innodb_buffer_pool_wait_free');
    if (waitFreeInWindow > 0) {
      out.push(
        finding(
          C,
          'warning',
          'MYSQL_BUFFER_POOL_WAIT_FREE',
          `InnoDB waited ${waitFreeInWindow} time(s) for a free buffer pool page during the window.`,
          { wait_free_in_window: waitFreeInWindow, wait_free: waitFree, innodb_buffer_pool_size: size },
          'The buffer pool is too small or page cleaning too slow: raise innodb_buffer_pool_size or innodb_io_capacity.',
        ),
      );
    } else if (Number.isFinite(waitFree) && waitFree > 0) {
      out.push(
        finding(
          C,
          'info',
          'MYSQL_BUFFER_POOL_WAIT_FREE',
          `InnoDB waited ${waitFree} time(s) for a free buffer pool page since start, none during the window.`,
          { wait_free_in_window: 0, wait_free: waitFree, since: 'start', innodb_buffer_pool_size: size },
          'If this grows under load, raise innodb_buffer_pool_size or innodb_io_capacity.',
        ),
      );
    }
    const logWaits = windowDelta(input, 'Innodb_log_waits');
    const logWaitsTotal = latest(input, 'Innodb_log_waits');
    if (Number.isFinite(logWaitsTotal)) input.metrics.innodb_log_waits = logWaitsTotal;
    if (logWaits > 0) {
      out.push(
        finding(
          C,
          'warning',
          'MYSQL_LOG_WAITS',
          `InnoDB waited ${logWaits} time(s) for the redo log buffer during the window.`,
          { log_waits_in_window: logWaits, log_waits_total: logWaitsTotal, innodb_log_buffer_size: variable(input, 'innodb_log_buffer_size') },
          'Raise innodb_log_buffer_size so that transactions do not wait to flush it.',
        ),
      );
    } else if (logWaitsTotal > 0) {
      out.push(
        finding(
          C,
          'info',
          'MYSQL_LOG_WAITS_PAST',
          `InnoDB waited ${logWaitsTotal} time(s) for the redo log buffer since start, none during the window.`,
          { log_waits_total: logWaitsTotal, innodb_log_buffer_size: variable(input, 'innodb_log_buffer_size') },
          'Consider a larger innodb_log_buffer_size if this grows under load.',
        ),
      );
    }
    return out;
  },
};
