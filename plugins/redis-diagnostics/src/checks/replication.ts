// Checklist 7-8: a replica's link to its master; a master's replicas (offset lag in bytes and
// seconds), whether the backlog covers a minute of writes, full resyncs during the window.
import type { Finding } from 'plugway/sdk';
import { num, replicas } from '../info.js';
import { finding, fmtMb, last, type Check } from './types.js';

export const replicationCheck: Check = async ({ samples, cfg, metrics }) => {
  const s = await samples;
  const a = s[0]!.info;
  const b = last(s).info;
  const elapsed = (last(s).t - s[0]!.t) / 1000;
  const out: Finding[] = [];
  const role = b.role ?? 'unknown';
  if (role === 'slave') {
    const link = b.master_link_status;
    const master = `${b.master_host}:${b.master_port}`;
    const syncing = num(b, 'master_sync_in_progress') === 1;
    if (link !== 'up' && syncing) {
      // A full sync (the first one, or after a lost backlog) takes the link down by design.
      const total = num(b, 'master_sync_total_bytes') ?? -1;
      const read = num(b, 'master_sync_read_bytes') ?? 0;
      const lastIo = num(b, 'master_sync_last_io_seconds_ago');
      const progress = total > 0 ? `${fmtMb(read)} of ${fmtMb(total)} (${((read / total) * 100).toFixed(1)}%)` : `${fmtMb(read)} read (size unknown: diskless transfer)`;
      metrics.master_sync_read_bytes = read;
      const ev = {
        master,
        master_link_status: link,
        master_sync_in_progress: 1,
        master_sync_total_bytes: total,
        master_sync_read_bytes: read,
        master_sync_last_io_seconds_ago: lastIo,
        master_link_down_since_seconds: num(b, 'master_link_down_since_seconds'),
        progress: total > 0 ? Number((read / total).toFixed(4)) : undefined,
      };
      if (lastIo !== undefined && lastIo > cfg.replica_io_seconds) {
        out.push(
          finding(
            'replication',
            'warning',
            'REDIS_REPLICA_SYNC_STALLED',
            `Full synchronisation from ${master} has received nothing for ${lastIo} s (${progress})`,
            ev,
            'Check the network and the master (a slow BGSAVE, repl-timeout, client-output-buffer-limit replica) and the replica log.',
          ),
        );
      } else {
        out.push(
          finding(
            'replication',
            'info',
            'REDIS_REPLICA_SYNCING',
            `Full synchronisation from ${master} in progress: ${progress}`,
            ev,
            'Wait for it to finish (the replica serves no fresh data meanwhile); repeated full syncs mean the backlog is too small.',
          ),
        );
      }
    } else if (link !== 'up') {
      out.push(
        finding(
          'replication',
          'critical',
          'REDIS_REPLICA_LINK_DOWN',
          `Replication link to master ${master} is ${link ?? 'unknown'}`,
          { master, master_link_status: link, master_link_down_since_seconds: num(b, 'master_link_down_since_seconds'), master_sync_in_progress: num(b, 'master_sync_in_progress') },
          'The replica serves stale data: check the master is up and reachable, masterauth, and the replica log; promote a replica if the master is gone.',
        ),
      );
    } else {
      const io = num(b, 'master_last_io_seconds_ago') ?? 0;
      metrics.master_last_io_seconds_ago = io;
      if (io > cfg.replica_io_seconds) {
        out.push(
          finding(
            'replication',
            'warning',
            'REDIS_REPLICA_IO_STALE',
            `No data from master ${master} for ${io} s`,
            { master, master_last_io_seconds_ago: io, threshold: cfg.replica_io_seconds },
            'Check the network to the master and repl-ping-replica-period.',
          ),
        );
      }
    }
  }
  const reps = replicas(b);
  const offset = num(b, 'master_repl_offset') ?? 0;
  metrics.connected_replicas = reps.length;
  if (reps.length === 0) return out;
  const backlog = num(b, 'repl_backlog_size') ?? 0;
  for (const r of reps) {
    const lagBytes = Math.max(0, offset - r.offset);
    const ev = { replica: `${r.ip}:${r.port}`, state: r.state, lag_bytes: lagBytes, lag_seconds: r.lag, repl_backlog_size: backlog };
    if (r.state !== 'online') {
      out.push(finding('replication', 'warning', 'REDIS_REPLICA_NOT_ONLINE', `Replica ${r.ip}:${r.port} is in state ${r.state}`, ev, 'Wait for the sync or check the replica log.'));
    } else if (r.lag > cfg.replica_lag_seconds || (backlog > 0 && lagBytes > backlog)) {
      out.push(
        finding(
          'replication',
          'warning',
          'REDIS_REPLICA_LAG',
          `Replica ${r.ip}:${r.port} is ${lagBytes} bytes and ${r.lag} s behind`,
          ev,
          'Check replica load and network; a lag beyond the backlog forces a full resync.',
        ),
      );
    }
  }
  const offA = num(a, 'master_repl_offset') ?? 0;
  const writeRate = elapsed > 0 ? Math.max(0, offset - offA) / elapsed : 0;
  metrics.repl_write_bytes_per_sec = writeRate;
  if (writeRate > 0 && backlog > 0) {
    const covers = backlog / writeRate;
    metrics.repl_backlog_seconds = covers;
    if (covers < cfg.backlog_min_seconds) {
      out.push(
        finding(
          'replication',
          'warning',
          'REDIS_BACKLOG_TOO_SMALL',
          `The replication backlog (${fmtMb(backlog)}) holds only ${covers.toFixed(1)} s of writes`,
          { repl_backlog_size: backlog, write_bytes_per_sec: Math.round(writeRate), covers_seconds: Number(covers.toFixed(1)), threshold_seconds: cfg.backlog_min_seconds },
          `Raise repl-backlog-size to at least ${fmtMb(writeRate * cfg.backlog_min_seconds)} so a replica reconnecting within a minute resyncs partially.`,
        ),
      );
    }
  }
  const fullA = num(a, 'sync_full') ?? 0;
  const fullB = num(b, 'sync_full') ?? 0;
  const perrA = num(a, 'sync_partial_err') ?? 0;
  const perrB = num(b, 'sync_partial_err') ?? 0;
  if (fullB > fullA || perrB > perrA) {
    out.push(
      finding(
        'replication',
        'warning',
        'REDIS_FULL_SYNCS',
        `${fullB - fullA} full resyncs during the window (${perrB - perrA} failed partial syncs)`,
        { sync_full_in_window: fullB - fullA, sync_partial_err_in_window: perrB - perrA, sync_full_total: fullB },
        'Replicas keep resyncing from scratch: raise repl-backlog-size and check replica timeouts and output buffer limits.',
      ),
    );
  }
  return out;
};
