// The diagnose endpoint every diagnostics plugin shares: body checks with PLW_ERR_DIAG_BAD_REQUEST,
// the status of each failure, and one session per request, always closed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DiagnosticResult, DiagnosticTarget } from './diagnostics.js';
import { DiagnosticsError, badTargetError, connectError } from './diagnostics-errors.js';
import { parseDiagnoseBody, serveDiagnoseRequest, type DiagnoseRequestSession } from './diagnostics-http.js';
import type { PluginRequest } from './types.js';

const spec = { categories: ['memory', 'clients'], example: 'redis://127.0.0.1:6379' };
const req = (body: unknown): PluginRequest => ({ id: 'r1', method: 'POST', path: '/diagnostics/x', params: {}, query: {}, headers: {}, body, context: {} });
const result = (target: string): DiagnosticResult => ({ plugin_id: 'x-diagnostics', target, status: 'healthy', findings: [], metrics: {}, started_at: new Date(0).toISOString(), duration_ms: 0 });

test('parseDiagnoseBody: a string or object target, categories, window and samples', () => {
  assert.deepEqual(parseDiagnoseBody('{"target": "x:1", "categories": ["memory"], "window": "2s", "samples": 4}', spec), {
    target: { url: 'x:1' },
    options: { categories: ['memory'], windowMs: 2000, samples: 4 },
  });
  const target: DiagnosticTarget = { url: 'x:1', username: 'u', tls: true };
  assert.deepEqual(parseDiagnoseBody({ target, window: 500 }, spec), { target, options: { windowMs: 500 } });
  assert.deepEqual(parseDiagnoseBody({ target: 'x:1', samples: '3' }, spec).options, { samples: 3 });
});

test('parseDiagnoseBody: each bad body is a 400 PLW_ERR_DIAG_BAD_REQUEST saying what is wrong', () => {
  const cases: Array<[unknown, RegExp]> = [
    [undefined, /send a JSON object \{ "target": "redis:\/\/127\.0\.0\.1:6379"/],
    ['not json', /the body is not JSON/],
    [[], /send a JSON object/],
    [{}, /"target" is required/],
    [{ target: '  ' }, /"target" is required/],
    [{ target: 5 }, /"target" is required/],
    [{ target: 'x:1', categories: 'memory' }, /"categories" must be an array of strings/],
    [{ target: 'x:1', categories: ['memory', 'nope'] }, /unknown categories nope; known: memory, clients/],
    [{ target: 'x:1', window: 'soon' }, /"window": "soon" is not a duration/],
    [{ target: 'x:1', window: -1 }, /"window"/],
    [{ target: 'x:1', window: '61s' }, /"window" must be at most 60s/],
    [{ target: 'x:1', samples: 1 }, /"samples" must be an integer from 2 to 20/],
    [{ target: 'x:1', samples: 2.5 }, /"samples"/],
    [{ target: 'x:1', samples: 21 }, /"samples"/],
  ];
  for (const [body, message] of cases) {
    assert.throws(
      () => parseDiagnoseBody(body, spec),
      (err: DiagnosticsError) => {
        assert.equal(err.code, 'PLW_ERR_DIAG_BAD_REQUEST', JSON.stringify(body));
        assert.equal(err.status, 400);
        assert.match(err.message, /^Bad diagnostics request: /);
        assert.match(err.message, message, JSON.stringify(body));
        return true;
      },
    );
  }
});

test('serveDiagnoseRequest: 200 with the result, options and signal passed on, the session closed', async () => {
  const calls: string[] = [];
  const signal = new AbortController().signal;
  const res = await serveDiagnoseRequest(req({ target: 'x:1', categories: ['clients'], window: '1s' }), {
    ...spec,
    signal,
    open: async (target): Promise<DiagnoseRequestSession> => ({
      async diagnose(options, s) {
        calls.push(`diagnose ${JSON.stringify(options)} ${s === signal}`);
        return result(target.url);
      },
      async close() {
        calls.push('close');
      },
    }),
  });
  assert.equal(res.statusCode, 200);
  assert.deepEqual(res.headers, { 'content-type': 'application/json' });
  assert.equal((res.body as DiagnosticResult).target, 'x:1');
  assert.deepEqual(calls, ['diagnose {"categories":["clients"],"windowMs":1000} true', 'close']);
});

test('serveDiagnoseRequest: 400 for a bad body or target, 502 when the target fails, before or during the diagnosis', async () => {
  let closed = 0;
  const failing = (err: unknown) => async (): Promise<DiagnoseRequestSession> => ({
    diagnose: async () => {
      throw err;
    },
    close: async () => void closed++,
  });
  const answer = async (body: unknown, open: () => Promise<DiagnoseRequestSession>) => {
    const res = await serveDiagnoseRequest(req(body), { ...spec, open });
    return [res.statusCode, (res.body as { error: { code: string; message: string } }).error] as const;
  };
  const never = async (): Promise<DiagnoseRequestSession> => assert.fail('no session for a bad body');
  assert.deepEqual(await answer({}, never), [
    400,
    { code: 'PLW_ERR_DIAG_BAD_REQUEST', message: 'Bad diagnostics request: "target" is required: a URL string (redis://127.0.0.1:6379) or an object { url, username?, password?, tls?, options? }' },
  ]);
  assert.deepEqual(
    await answer({ target: 'ftp://x' }, async () => {
      throw badTargetError('x', 'ftp://x', 'unknown scheme');
    }),
    [400, { code: 'PLW_ERR_DIAG_BAD_TARGET', message: '"ftp://x" is not a valid x target: unknown scheme' }],
  );
  assert.deepEqual(
    await answer({ target: 'x:1' }, async () => {
      throw connectError('x:1', new Error('connect ECONNREFUSED'));
    }),
    [502, { code: 'PLW_ERR_DIAG_CONNECT', message: 'Cannot connect to x:1: connect ECONNREFUSED' }],
  );
  // A plain error while diagnosing (the connection dropped) is the target's failure too.
  assert.deepEqual(await answer({ target: 'x:1' }, failing(new Error('Connection is closed.'))), [502, { code: 'PLW_ERR_DIAG_CONNECT', message: 'Connection is closed.' }]);
  assert.deepEqual(await answer({ target: 'x:1' }, failing(new DiagnosticsError('PLW_ERR_DIAG_NOT_CONNECTED', 'gone'))), [409, { code: 'PLW_ERR_DIAG_NOT_CONNECTED', message: 'gone' }]);
  assert.equal(closed, 2);
});
