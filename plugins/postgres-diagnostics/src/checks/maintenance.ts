// Checklist 11 (part): prepared transactions left open (check_postgres: 1 s / 30 s), sequences
// near their limit or their column's type limit (85/95%), WAL archiver failures, and the number
// of WAL segments in pg_wal (check_postgres wal_files: 10/15).
import { errorReason, type Finding } from 'plugway/sdk';
import { finding, level, num, round, type Check, type CheckInput } from '../types.js';

const C = 'maintenance';
const TYPE_MAX: Record<string, number> = { smallint: 32767, integer: 2147483647 };

export const maintenanceCheck: Check = {
  name: 'prepared transactions, sequences, archiver',
  category: C,
  async run(input: CheckInput): Promise<Finding[]> {
    const out: Finding[] = [];
    const c = input.config;
    const prepared = await input.query('SELECT gid, owner, database, extract(epoch FROM now() - prepared)::float8 AS age_seconds FROM pg_prepared_xacts ORDER BY prepared');
    input.metrics.prepared_transactions = prepared.length;
    const oldest = prepared.length ? num(prepared[0]!.age_seconds) : 0;
    const pSev = level(oldest, c.prepared_xact_warning_seconds, c.prepared_xact_critical_seconds);
    if (pSev) {
      out.push(
        finding(
          C,
          pSev,
          'PG_PREPARED_TRANSACTION',
          `${prepared.length} prepared transaction(s) wait for COMMIT PREPARED; the oldest for ${round(oldest, 1)} s.`,
          {
            prepared: prepared.slice(0, 10).map((p) => ({ ...p, age_seconds: round(num(p.age_seconds), 1) })),
            warning_seconds: c.prepared_xact_warning_seconds,
            critical_seconds: c.prepared_xact_critical_seconds,
          },
          'A forgotten prepared transaction holds locks and stops vacuum: COMMIT PREPARED or ROLLBACK PREPARED it (its transaction manager should).',
        ),
      );
    }
    const seqs = await input.query(
      `SELECT s.schemaname, s.sequencename, s.last_value::float8 AS last_value, s.min_value::float8 AS min_value, s.max_value::float8 AS max_value, s.increment_by::float8 AS increment_by,
              (SELECT format_type(a.atttypid, NULL) FROM pg_depend d JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
                WHERE d.classid = 'pg_class'::regclass AND d.objid = (quote_ident(s.schemaname) || '.' || quote_ident(s.sequencename))::regclass
                  AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i') LIMIT 1) AS column_type
         FROM pg_sequences s WHERE s.last_value IS NOT NULL`,
    );
    const used = seqs
      .map((s) => {
        const inc = num(s.increment_by);
        let max = num(s.max_value);
        let min = num(s.min_value);
        const typeMax = TYPE_MAX[String(s.column_type)];
        if (typeMax !== undefined) {
          max = Math.min(max, typeMax);
          min = Math.max(min, -typeMax - 1);
        }
        const ratio = inc > 0 ? (num(s.last_value) - num(s.min_value)) / (max - num(s.min_value)) : (num(s.max_value) - num(s.last_value)) / (num(s.max_value) - min);
        return {
          sequence: `${String(s.schemaname)}.${String(s.sequencename)}`,
          last_value: num(s.last_value),
          limit: inc > 0 ? max : min,
          column_type: s.column_type ?? undefined,
          used_ratio: round(ratio),
        };
      })
      .sort((a, b) => b.used_ratio - a.used_ratio);
    input.metrics.max_sequence_used_ratio = used[0]?.used_ratio ?? 0;
    const sSev = used[0] ? level(used[0].used_ratio, c.sequence_warning_ratio, c.sequence_critical_ratio) : null;
    if (sSev) {
      const over = used.filter((s) => s.used_ratio >= c.sequence_warning_ratio);
      out.push(
        finding(
          C,
          sSev,
          'PG_SEQUENCE_EXHAUSTION',
          `${over.length} sequence(s) used ${round(c.sequence_warning_ratio * 100, 0)}% or more of their range (worst: ${used[0]!.sequence}, ${round(used[0]!.used_ratio * 100, 1)}%).`,
          { sequences: over.slice(0, 10), warning_ratio: c.sequence_warning_ratio, critical_ratio: c.sequence_critical_ratio },
          'Before it runs out: ALTER the column (and sequence) to bigint, or ALTER SEQUENCE … MAXVALUE / CYCLE if wrapping is safe.',
        ),
      );
    }
    const first = input.samples[0]!.archiver;
    const last = input.samples[input.samples.length - 1]!.archiver;
    if (last) {
      const failedInWindow = Math.max(0, num(last.failed_count) - num(first?.failed_count));
      input.metrics.archiver_failed_count = num(last.failed_count);
      const lastFailed = last.last_failed_time ? Date.parse(String(last.last_failed_time)) : NaN;
      const lastArchived = last.last_archived_time ? Date.parse(String(last.last_archived_time)) : NaN;
      const failingNow = Number.isFinite(lastFailed) && (!Number.isFinite(lastArchived) || lastFailed > lastArchived);
      if (failedInWindow > 0 || failingNow) {
        out.push(
          finding(
            C,
            'critical',
            'PG_ARCHIVER_FAILING',
            `WAL archiving is failing (${failedInWindow} failure(s) during the window; last failed WAL ${String(last.last_failed_wal ?? '?')}).`,
            {
              failed_in_window: failedInWindow,
              failed_count: num(last.failed_count),
              last_failed_wal: last.last_failed_wal,
              last_failed_time: last.last_failed_time,
              last_archived_time: last.last_archived_time,
              archive_command: input.settings.archive_command,
            },
            "WAL accumulates until archive_command succeeds: fix the command or its destination, and watch pg_wal's disk.",
          ),
        );
      }
    }
    out.push(...(await walFiles(input)));
    return out;
  },
};

const MB = 1024 * 1024;

/**
 * check_postgres wal_files: WAL segments in pg_wal (pg_ls_waldir(): superuser or pg_monitor).
 * Up to max_wal_size is where checkpoints keep WAL on a healthy server (64 segments by default),
 * so a count over the thresholds but within it is info (*ours*); past it, WAL is being held
 * (a slot, wal_keep_size, a failing archiver) and the thresholds apply.
 */
async function walFiles(input: CheckInput): Promise<Finding[]> {
  const c = input.config;
  let count: number;
  try {
    const rows = await input.query("SELECT count(*)::int AS n FROM pg_ls_waldir() WHERE name ~ '^[0-9A-F]{24}$'");
    count = num(rows[0]?.n);
  } catch (err) {
    return [
      finding(
        C,
        'info',
        'PG_CHECK_UNAVAILABLE',
        `The WAL file count could not be read: ${errorReason(err)}`,
        { check: 'wal files', error: errorReason(err) },
        'pg_ls_waldir() needs a superuser or the pg_monitor role: GRANT pg_monitor TO the diagnostics user.',
      ),
    ];
  }
  input.metrics.wal_files = count;
  const sev = level(count, c.wal_files_warning, c.wal_files_critical);
  if (!sev) return [];
  const segmentBytes = num(input.settings.wal_segment_size) || 16 * MB;
  const maxWalBytes = num(input.settings.max_wal_size) * MB; // pg_settings gives MB
  const withinMax = Number.isFinite(maxWalBytes) && maxWalBytes > 0 && count * segmentBytes <= maxWalBytes;
  const evidence = {
    wal_files: count,
    wal_bytes: count * segmentBytes,
    max_wal_size_bytes: Number.isFinite(maxWalBytes) ? maxWalBytes : undefined,
    warning: c.wal_files_warning,
    critical: c.wal_files_critical,
  };
  if (withinMax) {
    return [
      finding(
        C,
        'info',
        'PG_WAL_FILES',
        `${count} WAL segments in pg_wal (≥ ${c.wal_files_warning}), within max_wal_size: checkpoints keep this much.`,
        evidence,
        'Nothing to do unless the disk is tight; lower max_wal_size to keep less WAL.',
      ),
    ];
  }
  return [
    finding(
      C,
      sev,
      'PG_WAL_FILES',
      `${count} WAL segments in pg_wal, more than max_wal_size lets checkpoints keep: WAL is being held.`,
      evidence,
      'Look for what holds WAL: an inactive replication slot (pg_replication_slots), wal_keep_size, a failing archive_command (PG_ARCHIVER_FAILING), or checkpoints that cannot finish.',
    ),
  ];
}
