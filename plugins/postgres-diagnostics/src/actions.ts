// execute(): the whitelisted actions. explain, activity and pg_stat_statements_reset run always;
// cancel-backend and terminate-backend change what others see and need allow_destructive: true.
import { DiagnosticsError } from 'plugway/sdk';
import type { PostgresSession } from './session.js';
import { PLUGIN_ID } from './session.js';

export const SAFE_ACTIONS = ['explain', 'activity', 'pg_stat_statements_reset'] as const;
export const DESTRUCTIVE_ACTIONS = ['cancel-backend', 'terminate-backend'] as const;
export const ACTIONS: readonly string[] = [...SAFE_ACTIONS, ...DESTRUCTIVE_ACTIONS];

function selectOnly(sql: unknown): string {
  if (typeof sql !== 'string' || sql.trim() === '') throw new DiagnosticsError('PLW_ERR_BAD_REQUEST', 'Malformed request: explain needs params.sql, a SELECT statement');
  const s = sql.trim().replace(/;\s*$/, '');
  if (!/^(select|with|values|table)\b/i.test(s) || s.includes(';')) {
    throw new DiagnosticsError('PLW_ERR_BAD_REQUEST', 'Malformed request: explain accepts a single read-only SELECT statement');
  }
  return s;
}

function pidOf(params: Record<string, unknown>): number {
  const pid = Number(params.pid);
  if (!Number.isInteger(pid) || pid <= 0) throw new DiagnosticsError('PLW_ERR_BAD_REQUEST', 'Malformed request: params.pid must be a backend pid (see action activity)');
  return pid;
}

/** Runs an action the SDK's gate let through (whitelisted; destructive only when allowed). */
export async function runAction(session: PostgresSession, action: string, params: Record<string, unknown>): Promise<unknown> {
  switch (action) {
    case 'explain': {
      const sql = selectOnly(params.sql);
      // EXPLAIN without ANALYZE plans and never runs; the read-only transaction guards functions anyway.
      await session.query('BEGIN TRANSACTION READ ONLY');
      try {
        const rows = await session.query(`EXPLAIN (FORMAT JSON) ${sql}`);
        return { plan: rows[0]?.['QUERY PLAN'] };
      } finally {
        await session.query('ROLLBACK');
      }
    }
    case 'activity':
      return {
        sessions: await session.query(
          `SELECT pid, usename AS user, datname AS database, application_name, state, wait_event_type, wait_event,
                  extract(epoch FROM now() - query_start)::float8 AS query_seconds, left(query, 500) AS query
             FROM pg_stat_activity WHERE backend_type = 'client backend' ORDER BY query_start NULLS LAST`,
        ),
      };
    case 'pg_stat_statements_reset': {
      const ext = await session.query("SELECT n.nspname AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_stat_statements'");
      if (ext.length === 0) throw new DiagnosticsError('PLW_ERR_BAD_REQUEST', 'Malformed request: pg_stat_statements is not installed in this database');
      await session.query(`SELECT "${String(ext[0]!.schema).replace(/"/g, '""')}".pg_stat_statements_reset()`);
      return { reset: true };
    }
    case 'cancel-backend': {
      const [r] = await session.query('SELECT pg_cancel_backend($1) AS ok', [pidOf(params)]);
      return { cancelled: r?.ok === true, pid: pidOf(params) };
    }
    case 'terminate-backend': {
      const [r] = await session.query('SELECT pg_terminate_backend($1) AS ok', [pidOf(params)]);
      return { terminated: r?.ok === true, pid: pidOf(params) };
    }
    default:
      throw new DiagnosticsError('PLW_ERR_ACTION_NOT_ALLOWED', `Plugin ${PLUGIN_ID}: action "${action}" is not implemented`);
  }
}
