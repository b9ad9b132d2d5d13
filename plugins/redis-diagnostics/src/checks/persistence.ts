// Checklist 9 and LATENCY DOCTOR's fork rate: failed BGSAVE / AOF writes / rewrites, delayed
// fsyncs, persistence switched off, slow forks (only above an RSS floor: tiny forks are noise).
import type { Finding } from 'plugway/sdk';
import { num } from '../info.js';
import { cannotRun, finding, last, type Check } from './types.js';

export const persistenceCheck: Check = async ({ samples, config, cfg, metrics }) => {
  const s = await samples;
  const a = s[0]!.info;
  const b = last(s).info;
  const out: Finding[] = [];
  const dir = await config;
  const dirName = dir instanceof Error ? undefined : dir.dir;
  if (b.rdb_last_bgsave_status && b.rdb_last_bgsave_status !== 'ok') {
    out.push(
      finding(
        'persistence',
        'critical',
        'REDIS_RDB_BGSAVE_FAILED',
        'The last background save (RDB) failed',
        { rdb_last_bgsave_status: b.rdb_last_bgsave_status, rdb_changes_since_last_save: num(b, 'rdb_changes_since_last_save'), rdb_last_save_time: num(b, 'rdb_last_save_time'), dir: dirName },
        'Read the Redis log: usually the data dir is not writable, the disk is full, or fork failed (vm.overcommit_memory=1). With stop-writes-on-bgsave-error, writes are refused.',
      ),
    );
  }
  if (num(b, 'aof_enabled') === 1 && b.aof_last_write_status && b.aof_last_write_status !== 'ok') {
    out.push(
      finding(
        'persistence',
        'critical',
        'REDIS_AOF_WRITE_FAILED',
        'The last AOF write failed',
        { aof_last_write_status: b.aof_last_write_status, dir: dirName },
        'Check disk space and permissions of the data dir; Redis refuses writes until the AOF can be written.',
      ),
    );
  }
  if (b.aof_last_bgrewrite_status && b.aof_last_bgrewrite_status !== 'ok') {
    out.push(
      finding(
        'persistence',
        'critical',
        'REDIS_AOF_REWRITE_FAILED',
        'The last AOF rewrite failed',
        { aof_last_bgrewrite_status: b.aof_last_bgrewrite_status, dir: dirName },
        'Check disk space and the Redis log; the AOF keeps growing until a rewrite succeeds.',
      ),
    );
  }
  const delayed = num(b, 'aof_delayed_fsync') ?? 0;
  const delayedInWindow = delayed - (num(a, 'aof_delayed_fsync') ?? 0);
  if (delayed > 0) {
    out.push(
      finding(
        'persistence',
        delayedInWindow > 0 ? 'warning' : 'info',
        'REDIS_AOF_DELAYED_FSYNC',
        delayedInWindow > 0
          ? `${delayedInWindow} AOF fsyncs were delayed by a slow disk during the window (${delayed} since start)`
          : `${delayed} AOF fsyncs were delayed by a slow disk since start, none during the window`,
        { aof_delayed_fsync: delayed, in_window: delayedInWindow },
        'The disk cannot keep up with appendfsync everysec: use faster storage or check other I/O on the host.',
      ),
    );
  }
  if (num(b, 'loading') === 1) {
    out.push(finding('persistence', 'info', 'REDIS_LOADING', 'Redis is loading its data set', { loading_loaded_perc: num(b, 'loading_loaded_perc') }, 'Wait for the load to finish.'));
  }
  if (num(b, 'aof_enabled') === 0) {
    if (dir instanceof Error) {
      // The save schedule is only in CONFIG: without it, say that this was not checked.
      out.push(
        cannotRun(
          'persistence',
          'persistence-disabled check (CONFIG GET save)',
          dir,
          'Grant CONFIG GET to the diagnosing user (+config|get) to check whether RDB snapshots are scheduled; AOF is off.',
        ),
      );
    } else if ((dir.save ?? '') === '') {
      out.push(
        finding(
          'persistence',
          'info',
          'REDIS_PERSISTENCE_DISABLED',
          'Neither RDB snapshots (save "") nor AOF are enabled: a restart loses all data',
          { save: dir.save, aof_enabled: 0 },
          'Fine for a pure cache; otherwise enable appendonly or a save schedule.',
        ),
      );
    }
  }
  const forkUsec = num(b, 'latest_fork_usec') ?? 0;
  const rss = num(b, 'used_memory_rss') ?? 0;
  if (forkUsec > 0 && rss >= cfg.fork_rate_rss_floor) {
    const gbps = rss / 1024 ** 3 / (forkUsec / 1e6);
    metrics.fork_rate_gb_per_sec = gbps;
    if (gbps < cfg.fork_rate_poor_gbps) {
      const terrible = gbps < cfg.fork_rate_terrible_gbps;
      out.push(
        finding(
          'persistence',
          terrible ? 'warning' : 'info',
          'REDIS_FORK_SLOW',
          `Forking copies ${gbps.toFixed(1)} GB/s (${terrible ? 'terrible' : 'poor'}): the last fork took ${(forkUsec / 1000).toFixed(1)} ms`,
          { latest_fork_usec: forkUsec, used_memory_rss: rss, gb_per_sec: Number(gbps.toFixed(2)) },
          'Forks block Redis: avoid Xen-style virtualisation, disable transparent huge pages, and keep the data set smaller per instance.',
        ),
      );
    }
  }
  return out;
};
