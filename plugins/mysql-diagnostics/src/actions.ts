// execute(): the whitelisted actions. Read-only ones run always; kill-query and kill-connection
// change the server and need allow_destructive: true.
import { DiagnosticsError } from 'plugway/sdk';
import type { MysqlSession } from './session.js';
import { PLUGIN_ID } from './session.js';

export const SAFE_ACTIONS = ['explain', 'processlist', 'innodb-status'] as const;
export const DESTRUCTIVE_ACTIONS = ['kill-query', 'kill-connection'] as const;
export const ACTIONS: readonly string[] = [...SAFE_ACTIONS, ...DESTRUCTIVE_ACTIONS];

/** One SELECT (or WITH … SELECT), no second statement: EXPLAIN of anything else could write. */
function selectOnly(sql: unknown): string {
  if (typeof sql !== 'string' || sql.trim() === '') throw new DiagnosticsError('PLW_ERR_BAD_REQUEST', 'Malformed request: explain needs params.sql, a SELECT statement');
  const s = sql.trim().replace(/;\s*$/, '');
  if (!/^(select|with)\b/i.test(s) || s.includes(';') || /\b(into\s+(outfile|dumpfile|@)|for\s+update|lock\s+in\s+share\s+mode)\b/i.test(s)) {
    throw new DiagnosticsError('PLW_ERR_BAD_REQUEST', 'Malformed request: explain accepts a single read-only SELECT statement');
  }
  return s;
}

function threadId(params: Record<string, unknown>): number {
  const id = Number(params.id ?? params.thread_id);
  if (!Number.isInteger(id) || id <= 0) throw new DiagnosticsError('PLW_ERR_BAD_REQUEST', 'Malformed request: params.id must be a positive thread id (see action processlist)');
  return id;
}

/** Runs an action the SDK's gate let through (whitelisted; destructive only when allowed). */
export async function runAction(session: MysqlSession, action: string, params: Record<string, unknown>): Promise<unknown> {
  switch (action) {
    case 'explain': {
      const sql = selectOnly(params.sql);
      // A read-only transaction makes sure nothing the plan evaluates can write.
      await session.query('START TRANSACTION READ ONLY');
      try {
        const rows = await session.query(`EXPLAIN FORMAT=JSON ${sql}`);
        const text = rows[0] ? String(Object.values(rows[0])[0]) : '{}';
        return { plan: JSON.parse(text) as unknown };
      } finally {
        await session.query('ROLLBACK');
      }
    }
    case 'processlist':
      return {
        processes: await session.query(
          'SELECT ID AS id, USER AS user, HOST AS host, DB AS db, COMMAND AS command, TIME AS time, STATE AS state, LEFT(INFO, 500) AS info FROM information_schema.PROCESSLIST ORDER BY TIME DESC',
        ),
      };
    case 'innodb-status': {
      const rows = await session.query('SHOW ENGINE INNODB STATUS');
      return { status: rows[0]?.Status ?? '' };
    }
    case 'kill-query':
      await session.query('KILL QUERY ?', [threadId(params)]);
      return { killed: 'query', id: threadId(params) };
    case 'kill-connection':
      await session.query('KILL CONNECTION ?', [threadId(params)]);
      return { killed: 'connection', id: threadId(params) };
    default:
      throw new DiagnosticsError('PLW_ERR_ACTION_NOT_ALLOWED', `Plugin ${PLUGIN_ID}: action "${action}" is not implemented`);
  }
}
