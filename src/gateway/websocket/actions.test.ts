import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isPlugwayError } from '../../errors.js';
import { applyAnswer, isSendableCloseCode, parseActions } from './actions.js';
import type { Connection } from './connection.js';

/** A connection that records what is done to it. */
function recorder() {
  const done: unknown[][] = [];
  const conn = {
    send: (d: unknown) => (done.push(['send', d]), true),
    close: (code?: number, reason?: string) => void done.push(['close', code, reason]),
    join: (r: string) => void done.push(['join', r]),
    leave: (r: string) => void done.push(['leave', r]),
    broadcast: (r: string, d: unknown, o?: { exceptSelf?: boolean }) => (done.push(['broadcast', r, d, o?.exceptSelf]), 1),
  };
  return { conn: conn as unknown as Connection, done };
}

const at = { pluginId: 'p', hook: 'onMessage', closing: false };

test('actions are applied in order; both spellings of except_self; a plain value is sent; null does nothing', () => {
  const { conn, done } = recorder();
  applyAnswer(
    conn,
    {
      actions: [
        { op: 'join', room: 'r' },
        { op: 'send', data: 'hi' },
        { op: 'broadcast', room: 'r', data: { a: 1 }, except_self: true },
        { op: 'broadcast', room: 'r', data: 'x', exceptSelf: false },
        { op: 'leave', room: 'r' },
        { op: 'close', code: 4000, reason: 'bye' },
      ],
    },
    at,
  );
  assert.deepEqual(done, [
    ['join', 'r'],
    ['send', 'hi'],
    ['broadcast', 'r', { a: 1 }, true],
    ['broadcast', 'r', 'x', false],
    ['leave', 'r'],
    ['close', 4000, 'bye'],
  ]);
  done.length = 0;
  applyAnswer(conn, { echo: 1 }, at);
  applyAnswer(conn, 'text', at);
  applyAnswer(conn, null, at);
  applyAnswer(conn, undefined, at);
  applyAnswer(conn, 'not sent: the connection is closed', { ...at, closing: true });
  assert.deepEqual(done, [
    ['send', { echo: 1 }],
    ['send', 'text'],
  ]);
});

test('a bad action refuses the whole answer with PLW_ERR_WS_ACTION_INVALID, naming the action and why', () => {
  const bad: Array<[unknown, RegExp]> = [
    [{ op: 'shout' }, /unknown op "shout"/],
    [{ op: 'join' }, /`room` must be a non-empty string/],
    [{ op: 'join', room: 'x'.repeat(201) }, /longer than 200/],
    [{ op: 'send' }, /`send` needs `data`/],
    [{ op: 'close', code: 1005 }, /close code 1005 cannot be sent/],
    [{ op: 'broadcast', room: 'r', data: 1, except_self: 'yes' }, /except_self/],
    ['send', /an action is an object/],
  ];
  for (const [action, why] of bad) {
    const { conn, done } = recorder();
    assert.throws(
      () => applyAnswer(conn, { actions: [{ op: 'send', data: 'first' }, action] }, at),
      (err: unknown) => isPlugwayError(err) && err.code === 'PLW_ERR_WS_ACTION_INVALID' && why.test(err.message) && err.message.includes('action 1 of its onMessage answer'),
    );
    assert.deepEqual(done, [], 'nothing was applied');
  }
  assert.throws(() => applyAnswer(recorder().conn, { actions: 'send' }, at), { code: 'PLW_ERR_WS_ACTION_INVALID' });
  assert.equal(parseActions('p', 'onOpen', []).length, 0);
});

test('close codes a plugin may send', () => {
  for (const ok of [1000, 1001, 1003, 1007, 1008, 1011, 1012, 3000, 4999]) assert.ok(isSendableCloseCode(ok), String(ok));
  for (const no of [999, 1004, 1005, 1006, 1015, 2000, 5000, 1000.5, '1000']) assert.ok(!isSendableCloseCode(no), String(no));
});
