import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequestLogger, requestLines, writesLinesDirectly } from './logging.js';
import { requestIdOf } from './request-id.js';

function capture() {
  const lines: string[] = [];
  return { lines, destination: { write: (s: string) => (lines.push(s), true) } };
}

type Case = [pluginId: string | null, version: string | null, rid: string, method: string, path: string, userId: string | null, ms: number, status: number];
const CASES: Case[] = [
  ['echo', '1.0.0', requestIdOf(undefined), 'POST', '/echo', null, 0.123, 200],
  ['echo', null, 'caller-id.1:2@x/y+z=w', 'GET', '/e"c\\h\u2028o\u0001/ünï/😀', 'u"ser\n1', 12, 404],
  [null, null, 'abc', 'DELETE', '/', 'alice', 1e-7, 500],
  ['a-b', '2.0.0-rc.1+build.5', 'r', 'PATCH', '/x/{id}', '', 123456.789, 201],
];

test('the fast request line is byte for byte the line pino writes, with and without time', () => {
  for (const timestamp of [false, true]) {
    const viaPino = capture();
    const viaFast = capture();
    const pinoLogger = createRequestLogger({ destination: viaPino.destination, timestamp, redact: ['extra.secret'] });
    const fastLogger = createRequestLogger({ destination: viaFast.destination, timestamp });
    const fast = requestLines(fastLogger);
    assert.ok(writesLinesDirectly(fastLogger), 'a logger made by createRequestLogger gets the fast writer');
    for (const [pluginId, version, rid, method, path, userId, ms, status] of CASES) {
      pinoLogger.child({ plugin_id: pluginId, version }).info({ request_id: rid, method, path, user_id: userId, response_time_ms: ms, status_code: status });
      fast(pluginId, version).write(rid, method, path, userId, ms, status);
    }
    const strip = (l: string) => (timestamp ? l.replace(/"time":\d+/, '"time":0') : l);
    assert.deepEqual(viaFast.lines.map(strip), viaPino.lines.map(strip));
    for (const l of viaFast.lines) assert.ok(JSON.parse(l), l);
    if (timestamp) for (const l of viaFast.lines) assert.match(l, /^\{"level":"info","time":\d{13},"plugin_id"/);
  }
});

test('the fast writer follows the level, and is not used where pino must redact a line field or for a foreign logger', async () => {
  const out = capture();
  const logger = createRequestLogger({ destination: out.destination });
  const fast = requestLines(logger)('p', '1');
  logger.level = 'warn';
  fast.write('r', 'GET', '/', null, 1, 200);
  assert.equal(out.lines.length, 0, 'info lines are off at warn');
  logger.level = 'info';
  fast.write('r', 'GET', '/', null, 1, 200);
  assert.equal(out.lines.length, 1);
  assert.equal(writesLinesDirectly(createRequestLogger({ destination: out.destination, redact: ['path'] })), false);
  assert.equal(writesLinesDirectly(createRequestLogger({ destination: out.destination, redact: ['*.x'] })), false);
  const { pino } = await import('pino');
  assert.equal(writesLinesDirectly(pino()), false);
});

test('request ids are tokens that the line can write unescaped', () => {
  const ids = new Set(Array.from({ length: 10_000 }, () => requestIdOf(undefined)));
  assert.equal(ids.size, 10_000);
  for (const id of [...ids].slice(0, 100)) assert.match(id, /^[\da-f]{8}-[\da-f]{4}-4[\da-f]{3}-[89ab][\da-f]{3}-[\da-f]{12}$/);
  // Generated ids pass the check a caller's X-Request-Id must pass (a proxy in front may send them back).
  for (const id of [...ids].slice(0, 100)) assert.equal(requestIdOf(id), id);
  // Random, not counting: consecutive ids share no prefix (a counter kept the first 24 characters).
  const [a, b] = [requestIdOf(undefined), requestIdOf(undefined)];
  assert.notEqual(a.slice(0, 24), b.slice(0, 24));
  // Every hex digit outside the version and variant takes many values over 10,000 ids.
  const sample = [...ids];
  for (const pos of [0, 9, 15, 20, 35]) assert.ok(new Set(sample.map((id) => id[pos])).size >= 12, `position ${pos} varies`);
  assert.equal(requestIdOf('given-1'), 'given-1');
  assert.notEqual(requestIdOf('bad"id'), 'bad"id');
});
