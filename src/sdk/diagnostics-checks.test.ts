// Running checks and reading targets, as every diagnostics plugin does: a throwing check becomes
// the plugin's info finding, unknown categories are said, and bad targets get PLW_ERR_DIAG_BAD_TARGET.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { beginDiagnosis, finding, statusFromFindings } from './diagnostics.js';
import { runChecks, unknownCategoriesFinding, type Check } from './diagnostics-checks.js';
import { errorReason } from './diagnostics-errors.js';
import { parseTargetUrl, targetOf } from './diagnostics-target.js';

const check = (name: string, category: string, run: Check<number>['run']): Check<number> => ({ name, category, run });
const unavailable = (c: Check<number>, err: unknown) => finding(c.category, 'info', 'X_CHECK_UNAVAILABLE', `The ${c.name} check could not run: ${errorReason(err)}`, {}, 'grant');

test('runChecks: the wanted categories in order; a throwing check becomes an info finding; none ran → noneRan', async () => {
  const checks = [
    check('a', 'one', async (n) => [finding('one', 'warning', 'X_A', `a ${n}`, {}, '')]),
    check('b', 'two', async () => {
      throw new Error('permission denied');
    }),
    check('c', 'one', async () => []),
  ];
  const all = await runChecks(checks, 7, { unavailable });
  assert.deepEqual(
    all.findings.map((f) => [f.code, f.message]),
    [
      ['X_A', 'a 7'],
      ['X_CHECK_UNAVAILABLE', 'The b check could not run: permission denied'],
    ],
  );
  assert.equal(all.noneRan, false);
  assert.equal(statusFromFindings(all.findings), 'warning');
  assert.deepEqual(await runChecks(checks, 7, { categories: ['two'], unavailable }).then((r) => r.noneRan), true);
  assert.deepEqual(await runChecks(checks, 7, { categories: ['three'], unavailable }), { findings: [], noneRan: false });
});

test('unknownCategoriesFinding: one info finding naming the unknown and the known categories', () => {
  assert.equal(unknownCategoriesFinding('X_UNKNOWN_CATEGORY', ['one'], ['one', 'two']), undefined);
  assert.deepEqual(unknownCategoriesFinding('X_UNKNOWN_CATEGORY', ['one', 'nope'], ['one', 'two']), {
    category: 'server',
    severity: 'info',
    code: 'X_UNKNOWN_CATEGORY',
    message: 'Unknown category nope: nothing checked for it.',
    evidence: { unknown: ['nope'], categories: ['one', 'two'] },
    suggestion: 'Use one of: one, two.',
  });
  assert.match(unknownCategoriesFinding('X', ['a', 'b'], [])!.message, /^Unknown categories a, b: nothing checked for them\.$/);
});

test('parseTargetUrl: host:port gets the first scheme; empty, unparsable and foreign targets are PLW_ERR_DIAG_BAD_TARGET', () => {
  const spec = { system: 'mysql', schemes: ['mysql', 'mariadb', 'mysqlx'], example: 'mysql://root@127.0.0.1:3306/test', defaults: { user: 'root', port: 3306 } };
  const { url, raw, target, endpoint } = parseTargetUrl(' 127.0.0.1:3307 ', spec);
  assert.equal(url.href, 'mysql://127.0.0.1:3307');
  assert.equal(raw, '127.0.0.1:3307');
  assert.deepEqual(target, { url: ' 127.0.0.1:3307 ' });
  assert.deepEqual(endpoint, { host: '127.0.0.1', port: 3307, user: 'root', password: undefined, database: undefined });
  // The target's own fields win over the URL's; the URL's are decoded; IPv6 loses its brackets.
  assert.deepEqual(parseTargetUrl({ url: 'mariadb://u%40x:p%3A@[::1]/d%20b', password: 'p', options: { database: 'other' } }, spec).endpoint, {
    host: '::1',
    port: 3306,
    user: 'u@x',
    password: 'p',
    database: 'other',
  });
  assert.deepEqual(parseTargetUrl('mysql://a:b@h/db', { ...spec, defaults: { user: 'postgres', port: 5432, database: 'postgres' } }).endpoint, {
    host: 'h',
    port: 5432,
    user: 'a',
    password: 'b',
    database: 'db',
  });
  assert.equal(parseTargetUrl('mysql://h', { ...spec, defaults: { user: 'postgres', port: 5432, database: 'postgres' } }).endpoint.database, 'postgres');
  assert.throws(() => parseTargetUrl({ url: '' }, spec), {
    code: 'PLW_ERR_DIAG_BAD_TARGET',
    status: 400,
    message: '"" is not a valid mysql target: give a URL such as mysql://root@127.0.0.1:3306/test or host:port',
  });
  assert.throws(() => parseTargetUrl('mysql://[x', spec), { message: '"mysql://[x" is not a valid mysql target: it does not parse as a URL' });
  assert.throws(() => parseTargetUrl('redis://h:1', spec), { message: '"redis://h:1" is not a valid mysql target: scheme redis: is not mysql://, mariadb:// or mysqlx://' });
  assert.throws(() => parseTargetUrl('redis://h:1', { ...spec, schemes: ['postgres', 'postgresql'] }), { message: /is not postgres:\/\/ or postgresql:\/\/$/ });
  assert.deepEqual(targetOf('h:1'), { url: 'h:1' });
});

test('errorReason: the message, else the code or name (an AggregateError from connect has no message)', () => {
  assert.equal(errorReason(new Error('boom')), 'boom');
  assert.equal(errorReason(Object.assign(new AggregateError([]), { code: 'ECONNREFUSED' })), 'ECONNREFUSED');
  assert.equal(errorReason(new AggregateError([])), 'AggregateError');
  assert.equal(errorReason('text'), 'text');
});

test('beginDiagnosis: the result with the plugin, target, status from the findings, start and duration', () => {
  const started = beginDiagnosis('x-diagnostics', 'x:1');
  const warning = finding('one', 'warning', 'X_A', 'a', {}, '');
  const r = started.result({ findings: [warning], metrics: { n: 1 }, server: { version: '1' } });
  assert.deepEqual(Object.keys(r), ['plugin_id', 'target', 'status', 'findings', 'metrics', 'started_at', 'duration_ms', 'server']);
  assert.equal(r.plugin_id, 'x-diagnostics');
  assert.equal(r.target, 'x:1');
  assert.equal(r.status, 'warning');
  assert.equal(r.started_at, started.startedAt.toISOString());
  assert.ok(Number.isInteger(r.duration_ms) && r.duration_ms >= 0);
  assert.equal(started.result({ findings: [], metrics: {}, noneRan: true }).status, 'unknown');
  assert.equal('server' in started.result({ findings: [], metrics: {} }), false);
});
