// Checklist 2-4 and MEMORY DOCTOR: usage against maxmemory or system RAM, eviction policy,
// evictions and OOM errors over the window, fragmentation with ratio AND absolute floors.
import { errorStats, num } from '../info.js';
import { finding, fmtMb, last, pct, type Check } from './types.js';
import type { Finding } from 'plugway/sdk';

export const memoryCheck: Check = async ({ info, samples, cfg, metrics }) => {
  const s = await samples;
  const a = s[0]!.info;
  const b = last(s).info;
  const elapsed = (last(s).t - s[0]!.t) / 1000;
  const out: Finding[] = [];
  const used = num(b, 'used_memory') ?? 0;
  const max = num(b, 'maxmemory') ?? 0;
  const sys = num(b, 'total_system_memory') ?? 0;
  const rss = num(b, 'used_memory_rss') ?? 0;
  const policy = b.maxmemory_policy ?? info.maxmemory_policy ?? 'unknown';
  metrics.used_memory = used;
  metrics.used_memory_rss = rss;
  metrics.maxmemory = max;
  if (max > 0) {
    const ratio = used / max;
    metrics.memory_usage_ratio = ratio;
    const ev = { used_memory: used, maxmemory: max, ratio: Number(ratio.toFixed(4)), policy };
    if (ratio >= cfg.memory_warn_ratio) {
      const crit = ratio >= cfg.memory_crit_ratio;
      out.push(
        finding(
          'memory',
          crit ? 'critical' : 'warning',
          'REDIS_MEMORY_NEAR_LIMIT',
          `Memory use is ${pct(ratio)} of maxmemory (${fmtMb(used)} of ${fmtMb(max)})`,
          ev,
          'Raise maxmemory, shard the data, set TTLs on cache keys, or find big keys (category keyspace).',
        ),
      );
    }
    if (policy === 'noeviction' && ratio >= cfg.noeviction_crit_ratio) {
      out.push(
        finding(
          'memory',
          'critical',
          'REDIS_NOEVICTION_NEAR_FULL',
          `maxmemory-policy is noeviction and memory is ${pct(ratio)} full: writes will fail with OOM errors`,
          ev,
          'Choose an eviction policy (allkeys-lru / volatile-lru for caches) or raise maxmemory before writes are refused.',
        ),
      );
    }
    if (sys > 0 && max > sys) {
      out.push(
        finding(
          'memory',
          'warning',
          'REDIS_MAXMEMORY_ABOVE_RAM',
          `maxmemory (${fmtMb(max)}) is above system RAM (${fmtMb(sys)})`,
          { maxmemory: max, total_system_memory: sys },
          'Set maxmemory below the RAM available to Redis, leaving room for fork copy-on-write.',
        ),
      );
    }
  } else {
    const ratio = sys > 0 ? used / sys : 0;
    const warn = sys > 0 && ratio >= cfg.memory_unset_system_warn_ratio;
    out.push(
      finding(
        'memory',
        warn ? 'warning' : 'info',
        'REDIS_MAXMEMORY_UNSET',
        `maxmemory is 0 (unlimited); Redis uses ${fmtMb(used)}${sys ? ` of ${fmtMb(sys)} system RAM (${pct(ratio)})` : ''}`,
        { used_memory: used, total_system_memory: sys, ratio_of_system: Number(ratio.toFixed(4)) },
        'Set maxmemory (and an eviction policy) so Redis cannot grow into swap or the OOM killer; keep room for a fork.',
      ),
    );
  }
  if (sys > 0 && rss / sys >= cfg.system_memory_crit_ratio) {
    out.push(
      finding(
        'memory',
        'critical',
        'REDIS_SYSTEM_MEMORY_HIGH',
        `Redis RSS is ${pct(rss / sys)} of system RAM`,
        { used_memory_rss: rss, total_system_memory: sys },
        'Lower maxmemory or move Redis to a host with more RAM before the OOM killer acts.',
      ),
    );
  }
  // Evictions and OOM rejections: a delta over the window says "now", a lifetime count says "once".
  const evA = num(a, 'evicted_keys') ?? 0;
  const evB = num(b, 'evicted_keys') ?? 0;
  metrics.evicted_keys_per_sec = elapsed > 0 ? Math.max(0, evB - evA) / elapsed : 0;
  if (evB > evA) {
    out.push(
      finding(
        'memory',
        'warning',
        'REDIS_EVICTIONS',
        `${evB - evA} keys evicted during the ${elapsed.toFixed(1)} s window`,
        { evicted_in_window: evB - evA, per_second: Number(metrics.evicted_keys_per_sec.toFixed(2)), evicted_total: evB, policy },
        'Memory is full and keys are being evicted: raise maxmemory or reduce the data set if these keys are not meant to be a cache.',
      ),
    );
  } else if (evB > 0) {
    out.push(
      finding(
        'memory',
        'info',
        'REDIS_EVICTIONS_PAST',
        `${evB} keys were evicted since start, none during the window`,
        { evicted_total: evB, policy },
        'Check whether evictions are expected (cache) or a sign maxmemory is too low.',
      ),
    );
  }
  const oomA = errorStats(a).OOM ?? 0;
  const oomB = errorStats(b).OOM ?? 0;
  if (oomB > oomA) {
    out.push(
      finding(
        'memory',
        'critical',
        'REDIS_OOM_ERRORS',
        `${oomB - oomA} commands failed with OOM during the window`,
        { oom_in_window: oomB - oomA, oom_total: oomB, policy },
        'Writes are being refused: free memory, raise maxmemory or enable eviction.',
      ),
    );
  } else if (oomB > 0) {
    // History: it would keep the exit code up for the whole uptime.
    out.push(
      finding(
        'memory',
        'info',
        'REDIS_OOM_ERRORS',
        `${oomB} commands failed with OOM since start, none during the window`,
        { oom_in_window: 0, oom_total: oomB, policy },
        'Writes were refused at some point: check maxmemory and the eviction policy.',
      ),
    );
  }
  // MEMORY DOCTOR says nothing below 5 MB: ratios of tiny numbers are noise.
  if (used < cfg.memory_doctor_floor) return out;
  const frag = num(b, 'mem_fragmentation_ratio') ?? 0;
  const fragBytes = num(b, 'mem_fragmentation_bytes') ?? rss - used;
  metrics.mem_fragmentation_ratio = frag;
  if (frag > cfg.frag_ratio_warn && fragBytes > cfg.frag_bytes_floor) {
    out.push(
      finding(
        'memory',
        'warning',
        'REDIS_FRAGMENTATION_HIGH',
        `Fragmentation ratio ${frag} (${fmtMb(fragBytes)} wasted)`,
        { mem_fragmentation_ratio: frag, mem_fragmentation_bytes: fragBytes, used_memory: used, used_memory_rss: rss },
        'Enable activedefrag (jemalloc builds), or restart/fail over at a quiet time to compact memory.',
      ),
    );
  }
  if (frag > 0 && frag < 1 && used > cfg.frag_low_used_floor) {
    out.push(
      finding(
        'memory',
        'critical',
        'REDIS_MEMORY_SWAPPING',
        `RSS is below used memory (ratio ${frag}): part of Redis is swapped out`,
        { mem_fragmentation_ratio: frag, used_memory: used, used_memory_rss: rss },
        'Stop swapping: lower maxmemory, add RAM, or disable swap for Redis hosts.',
      ),
    );
  }
  const peak = num(b, 'used_memory_peak') ?? 0;
  if (peak > cfg.peak_ratio * used) {
    out.push(
      finding(
        'memory',
        'info',
        'REDIS_MEMORY_PEAK_HIGH',
        `Peak memory (${fmtMb(peak)}) was over ${cfg.peak_ratio}× the current use`,
        { used_memory_peak: peak, used_memory: used },
        'RSS may stay near the peak; a high fragmentation ratio after a peak is expected and may not need action.',
      ),
    );
  }
  const overheads: Array<[string, string, string]> = [
    ['allocator_frag_ratio', 'allocator_frag_bytes', 'REDIS_ALLOCATOR_FRAGMENTATION'],
    ['allocator_rss_ratio', 'allocator_rss_bytes', 'REDIS_ALLOCATOR_RSS_OVERHEAD'],
    ['rss_overhead_ratio', 'rss_overhead_bytes', 'REDIS_RSS_OVERHEAD'],
  ];
  for (const [rk, bk, code] of overheads) {
    const r = num(b, rk);
    const bytes = num(b, bk);
    if (r !== undefined && bytes !== undefined && r > cfg.overhead_ratio && bytes > cfg.frag_bytes_floor) {
      out.push(
        finding(
          'memory',
          code === 'REDIS_ALLOCATOR_FRAGMENTATION' ? 'warning' : 'info',
          code,
          `${rk} is ${r} (${fmtMb(bytes)})`,
          { [rk]: r, [bk]: bytes },
          'Enable activedefrag, or restart at a quiet time; MEMORY PURGE (action memory-purge) may release allocator pages.',
        ),
      );
    }
  }
  const replBuf = num(b, 'mem_clients_slaves') ?? 0;
  if (replBuf > cfg.replica_buffers_bytes) {
    out.push(
      finding(
        'memory',
        'warning',
        'REDIS_REPLICA_BUFFERS_HIGH',
        `Replica output buffers use ${fmtMb(replBuf)}`,
        { mem_clients_slaves: replBuf },
        'Replicas read too slowly: check their network and load, or raise client-output-buffer-limit replica.',
      ),
    );
  }
  return out;
};
