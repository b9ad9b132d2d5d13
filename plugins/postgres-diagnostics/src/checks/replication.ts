// Checklist 5: replay lag on a replica (pghero: < 5 s good; 300 s critical), standbys' lag seen
// from the primary, and inactive replication slots that hold WAL back.
import type { Finding } from 'plugway/sdk';
import { bytes, finding, level, num, round, type Check, type CheckInput } from '../types.js';

const C = 'replication';

export const replicationCheck: Check = {
  name: 'replication',
  category: C,
  async run(input: CheckInput): Promise<Finding[]> {
    const out: Finding[] = [];
    const c = input.config;
    if (input.server.inRecovery) {
      // With nothing left to replay the replica is caught up, whatever the last replay time says.
      const [r] = await input.query(
        `SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                     ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp()) END::float8 AS lag_seconds,
                pg_is_wal_replay_paused() AS paused,
                pg_last_wal_receive_lsn()::text AS received, pg_last_wal_replay_lsn()::text AS replayed,
                (SELECT status FROM pg_stat_wal_receiver LIMIT 1) AS receiver_status`,
      );
      const lag = num(r!.lag_seconds);
      input.metrics.replica_lag_seconds = Number.isFinite(lag) ? round(lag, 1) : -1;
      // Between reconnect attempts the receiver is absent; during one it is "starting": neither streams.
      if (r!.receiver_status !== 'streaming') {
        const streamingConfigured = (input.settings.primary_conninfo ?? '') !== '';
        out.push(
          finding(
            C,
            streamingConfigured ? 'critical' : 'info',
            'PG_WAL_RECEIVER_DOWN',
            streamingConfigured
              ? `This replica is not streaming from its primary (WAL receiver ${String(r!.receiver_status ?? 'absent')}).`
              : 'This replica has no primary_conninfo: it replays from the archive only, without streaming.',
            { receiver_status: r!.receiver_status ?? null, received: r!.received, replayed: r!.replayed },
            "Check primary_conninfo, the network and the primary's pg_hba.conf (replication lines); read the replica's log.",
          ),
        );
      }
      if (r!.paused === true) {
        out.push(
          finding(
            C,
            'warning',
            'PG_REPLAY_PAUSED',
            'WAL replay is paused on this replica.',
            { received: r!.received, replayed: r!.replayed },
            'SELECT pg_wal_replay_resume() when the pause is not intended.',
          ),
        );
      }
      const sev = Number.isFinite(lag) ? level(lag, c.replica_lag_warning_seconds, c.replica_lag_critical_seconds) : null;
      if (sev) {
        out.push(
          finding(
            C,
            sev,
            'PG_REPLICA_LAG',
            `The replica is ${round(lag, 1)} s behind its primary.`,
            {
              lag_seconds: round(lag, 1),
              received: r!.received,
              replayed: r!.replayed,
              paused: r!.paused,
              warning_seconds: c.replica_lag_warning_seconds,
              critical_seconds: c.replica_lag_critical_seconds,
            },
            'Look for long queries on the replica conflicting with replay, slow disks, or a network limit.',
          ),
        );
      }
    } else {
      const standbys = await input.query(
        `SELECT application_name, client_addr::text AS client, state, sync_state,
                extract(epoch FROM replay_lag)::float8 AS replay_lag_seconds,
                pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)::float8 AS replay_lag_bytes
           FROM pg_stat_replication`,
      );
      input.metrics.standbys = standbys.length;
      if (standbys.length === 0) {
        out.push(
          finding(
            C,
            'info',
            'PG_NOT_A_REPLICA',
            'This server is a primary without streaming standbys; replica lag checks do not apply.',
            {},
            'Nothing to do; point the diagnosis at a replica to check its replay lag.',
          ),
        );
      }
      for (const s of standbys) {
        const lag = num(s.replay_lag_seconds);
        const sev = Number.isFinite(lag) ? level(lag, c.replica_lag_warning_seconds, c.replica_lag_critical_seconds) : null;
        if (sev) {
          out.push(
            finding(
              C,
              sev,
              'PG_REPLICA_LAG',
              `Standby ${String(s.application_name)} replays ${round(lag, 1)} s behind.`,
              { standby: s, warning_seconds: c.replica_lag_warning_seconds, critical_seconds: c.replica_lag_critical_seconds },
              "Check the standby's load and disk, and the network between them.",
            ),
          );
        }
      }
    }
    const lsnFn = input.server.inRecovery ? 'pg_last_wal_replay_lsn()' : 'pg_current_wal_lsn()';
    const slots = await input.query(
      `SELECT slot_name, slot_type, database, active, pg_wal_lsn_diff(${lsnFn}, restart_lsn)::float8 AS retained_bytes
         FROM pg_replication_slots WHERE NOT active`,
    );
    const holding = slots.filter((s) => num(s.retained_bytes) > c.inactive_slot_warning_bytes || s.retained_bytes === null);
    input.metrics.inactive_replication_slots = slots.length;
    if (holding.length > 0) {
      const total = holding.reduce((s, r) => s + (num(r.retained_bytes) || 0), 0);
      out.push(
        finding(
          C,
          'warning',
          'PG_INACTIVE_REPLICATION_SLOT',
          `${holding.length} inactive replication slot(s) hold ${bytes(total)} of WAL back.`,
          { slots: holding.map((s) => ({ ...s, retained: bytes(num(s.retained_bytes) || 0) })), warning_bytes: c.inactive_slot_warning_bytes },
          'A slot nobody consumes keeps WAL forever and can fill the disk: reconnect its consumer or pg_drop_replication_slot(name); set max_slot_wal_keep_size.',
        ),
      );
    }
    return out;
  },
};
