// Checklist 4: the buffer cache hit ratio (pghero: ≥ 99% is good), judged on the window's block
// deltas when the window touched enough blocks, else on the counters since the last stats reset.
import type { Finding } from 'plugway/sdk';
import { dbDelta, dbLatest, finding, pct, round, type Check, type CheckInput } from '../types.js';

const C = 'cache';

export const cacheCheck: Check = {
  name: 'cache hit ratio',
  category: C,
  async run(input: CheckInput): Promise<Finding[]> {
    const c = input.config;
    const wHit = dbDelta(input, 'blks_hit');
    const wRead = dbDelta(input, 'blks_read');
    const lHit = dbLatest(input, 'blks_hit');
    const lRead = dbLatest(input, 'blks_read');
    let basis: 'window' | 'lifetime';
    let hit: number;
    let read: number;
    if (wHit + wRead >= c.cache_min_window_blocks) {
      basis = 'window';
      hit = wHit;
      read = wRead;
    } else {
      basis = 'lifetime';
      hit = lHit;
      read = lRead;
    }
    if (!(hit + read > 0)) return [];
    const ratio = hit / (hit + read);
    input.metrics.cache_hit_ratio = round(ratio);
    if (basis === 'window') input.metrics.cache_hit_ratio_window = round(ratio);
    if (ratio >= c.cache_hit_warning_ratio) return [];
    // Only the window warns: a ratio since the stats reset is history (and on a young server not
    // even representative), which would keep a cron job's exit code up long after the cause.
    const reliable = basis === 'window' || hit + read >= c.cache_min_lifetime_blocks;
    const evidence: Record<string, unknown> = {
      ratio: round(ratio),
      blocks_hit: hit,
      blocks_read: read,
      basis,
      database: input.server.database,
      shared_buffers: input.settings.shared_buffers,
      warning_below: c.cache_hit_warning_ratio,
    };
    if (!reliable) evidence.note = `fewer than ${c.cache_min_lifetime_blocks} blocks since the stats reset: not yet representative`;
    return [
      finding(
        C,
        basis === 'window' ? 'warning' : 'info',
        'PG_CACHE_HIT_LOW',
        `Only ${pct(ratio)} of block reads in ${input.server.database} were served from shared buffers (${basis === 'window' ? 'during the window' : 'since the statistics were reset'}).`,
        evidence,
        'Raise shared_buffers (about 25% of RAM), add memory, or find the scans that read the most (pg_stat_statements shared_blks_read).',
      ),
    ];
  },
};
