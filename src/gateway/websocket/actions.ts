// What an isolated plugin (worker, wasm, process) answers to on_open/on_message/on_close: it cannot
// hold the live `conn`, so it returns actions — send, close, join, leave, broadcast — that the
// gateway applies to the connection in order (docs/websocket.md#actions). Any other value is sent.

import { PlugwayError } from '../../errors.js';
import type { WebSocketAction } from '../../sdk/websocket.js';
import type { Connection } from './connection.js';

/** Longest room name an action may use (a room name also goes into a NATS subject, base64url-encoded). */
export const MAX_ROOM_CHARS = 200;

/** Close codes a plugin may send (RFC 6455 §7.4: the defined ones it may send, and 3000–4999). */
export function isSendableCloseCode(code: unknown): code is number {
  if (typeof code !== 'number' || !Number.isInteger(code)) return false;
  if (code >= 3000 && code <= 4999) return true;
  return code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006;
}

function invalid(pluginId: string, hook: string, index: number, reason: string): PlugwayError {
  return new PlugwayError('PLW_ERR_WS_ACTION_INVALID', { id: pluginId, hook, index, reason });
}

function room(a: Record<string, unknown>, fail: (reason: string) => PlugwayError): string {
  const r = a.room;
  if (typeof r !== 'string' || r.length === 0) throw fail('`room` must be a non-empty string');
  if (r.length > MAX_ROOM_CHARS) throw fail(`\`room\` is longer than ${MAX_ROOM_CHARS} characters`);
  return r;
}

/** Checks every action before any is applied: a bad answer changes nothing. */
export function parseActions(pluginId: string, hook: string, list: unknown[]): WebSocketAction[] {
  return list.map((raw, i): WebSocketAction => {
    const fail = (reason: string) => invalid(pluginId, hook, i, reason);
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw fail('an action is an object with `op`');
    const a = raw as Record<string, unknown>;
    switch (a.op) {
      case 'send':
        if (!('data' in a)) throw fail('`send` needs `data`');
        return { op: 'send', data: a.data };
      case 'broadcast': {
        if (!('data' in a)) throw fail('`broadcast` needs `data`');
        const except = a.except_self ?? a.exceptSelf;
        if (except !== undefined && typeof except !== 'boolean') throw fail('`except_self` must be true or false');
        return { op: 'broadcast', room: room(a, fail), data: a.data, ...(except ? { exceptSelf: true } : {}) };
      }
      case 'join':
      case 'leave':
        return { op: a.op, room: room(a, fail) };
      case 'close': {
        if (a.code !== undefined && !isSendableCloseCode(a.code)) throw fail(`close code ${JSON.stringify(a.code)} cannot be sent (1000, 1001, 1003, 1007–1014 or 3000–4999)`);
        if (a.reason !== undefined && typeof a.reason !== 'string') throw fail('`reason` must be a string');
        return { op: 'close', ...(a.code !== undefined ? { code: a.code as number } : {}), ...(a.reason ? { reason: a.reason as string } : {}) };
      }
      default:
        throw fail(`unknown op ${JSON.stringify(a.op)} (send, close, join, leave, broadcast)`);
    }
  });
}

/**
 * Applies a hook's answer: `{actions: [...]}` in order; `null`/`undefined` does nothing; any other
 * value is sent to the connection (not for on_close, whose connection is gone).
 */
export function applyAnswer(conn: Connection, out: unknown, at: { pluginId: string; hook: string; closing: boolean }): void {
  if (out === undefined || out === null) return;
  const list = typeof out === 'object' && !Array.isArray(out) && !(out instanceof Uint8Array) ? (out as { actions?: unknown }).actions : undefined;
  if (list === undefined) {
    if (!at.closing) conn.send(out);
    return;
  }
  if (!Array.isArray(list)) throw invalid(at.pluginId, at.hook, 0, '`actions` must be an array');
  for (const a of parseActions(at.pluginId, at.hook, list)) {
    switch (a.op) {
      case 'send':
        conn.send(a.data);
        break;
      case 'broadcast':
        conn.broadcast(a.room, a.data, { exceptSelf: a.exceptSelf === true });
        break;
      case 'join':
        conn.join(a.room);
        break;
      case 'leave':
        conn.leave(a.room);
        break;
      case 'close':
        conn.close(a.code, a.reason);
        break;
    }
  }
}
