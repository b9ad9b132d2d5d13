// The middleware step: in at onRequest (an answer short-circuits), out at onResponse (may replace
// the response), sync and async alike; only the halves a plugin implements are compiled.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PluginRequest, PluginResponse } from '../../sdk/types.js';
import { stepBench, echoPlugin } from './step-bench.test-helper.js';

const route = { id: 'api', plugin: echoPlugin, manifest: { endpoints: [{ path: '/x', method: 'GET' }] as never } };

test('middleware: async onRequest may answer; async onResponse replaces the response; failures pass untouched', async (t) => {
  const b = await stepBench([
    route,
    {
      id: 'gate',
      plugin: {
        async onRequest(req: PluginRequest) {
          return req.headers['x-stop'] ? { statusCode: 418, body: { stopped: true } } : undefined;
        },
        async onResponse(_req: PluginRequest, res: PluginResponse) {
          return { ...res, headers: { ...(res.headers ?? {}), 'x-seen': 'yes' } };
        },
      },
      manifest: { kind: 'middleware', middleware: { priority: 1, routes: [] } },
    },
    { id: 'tail', plugin: { onResponse: (_q: PluginRequest, res: PluginResponse) => ({ ...res, statusCode: 201 }) }, manifest: { kind: 'middleware', middleware: { priority: 0, routes: [] } } },
  ]);
  t.after(() => b.close());
  assert.deepEqual(
    b.stepsOf('GET', '/x').filter((n) => n.startsWith('middleware:')),
    ['middleware:gate', 'middleware:tail'],
  );
  const served = await b.request('GET', '/x');
  assert.equal(served.status, 201, 'tail replaced the status on the way out');
  assert.equal(served.headers['x-seen'], 'yes');
  const stopped = await b.request('GET', '/x', { headers: { 'x-stop': '1' } });
  assert.equal(stopped.status, 418, "gate answered: tail (after it) and the handler did not run, gate's own onResponse neither");
  assert.equal(stopped.headers['x-seen'], undefined);
  await b.host.disable('api');
  const refused = await b.request('GET', '/x');
  assert.equal(refused.status, 503, 'a failure is not handed to onResponse');
});

test('middleware: an invalid answer is a 502 PLW_ERR_INVALID_RESPONSE', async (t) => {
  const b = await stepBench([route, { id: 'bad', plugin: { onRequest: () => ({ statusCode: 'nope' }) }, manifest: { kind: 'middleware', middleware: { priority: 1, routes: [] } } }]);
  t.after(() => b.close());
  const r = await b.request('GET', '/x');
  assert.equal(r.status, 502);
  assert.equal(r.body.error.code, 'PLW_ERR_INVALID_RESPONSE');
});

test('middleware: a hook that never settles times out at its own resources.timeout (504 PLW_ERR_PLUGIN_TIMEOUT, counted); a late answer is ignored', async (t) => {
  let lateRequest!: (v: undefined) => void;
  let lateResponse!: (v: unknown) => void;
  let calls = 0;
  const b = await stepBench([
    route,
    {
      id: 'stuck',
      plugin: {
        onRequest(req: PluginRequest) {
          calls++;
          return req.headers['x-hang'] === 'in' ? new Promise((r) => (lateRequest = r)) : Promise.resolve(undefined);
        },
        onResponse(req: PluginRequest, res: PluginResponse) {
          return req.headers['x-hang'] === 'out' ? new Promise((r) => (lateResponse = r)) : Promise.resolve(res);
        },
      },
      manifest: { kind: 'middleware', middleware: { priority: 1, routes: [] }, resources: { timeoutMs: 80 } as never },
    },
  ]);
  t.after(() => b.close());
  const before = b.host.runtimeStats('stuck')!;
  const inbound = await b.request('GET', '/x', { headers: { 'x-hang': 'in' } });
  assert.equal(inbound.status, 504, JSON.stringify(inbound.body));
  assert.equal(inbound.body.error.code, 'PLW_ERR_PLUGIN_TIMEOUT');
  assert.match(inbound.body.error.message, /onRequest/);
  const outbound = await b.request('GET', '/x', { headers: { 'x-hang': 'out' } });
  assert.equal(outbound.status, 504, 'on the way out too');
  assert.equal(outbound.body.error.code, 'PLW_ERR_PLUGIN_TIMEOUT');
  // The late answers change nothing (the requests were answered once: the recording exchange throws on a second send).
  lateRequest(undefined);
  lateResponse({ statusCode: 200, body: 'late' });
  await new Promise((r) => setImmediate(r));
  const after = b.host.runtimeStats('stuck')!;
  assert.equal(after.timeouts - before.timeouts, 2, 'both counted as timeouts of the plugin');
  assert.equal(after.inFlight, 0, 'nothing left in flight');
  assert.equal((await b.request('GET', '/x')).status, 200, 'the next request goes through');
  assert.equal(calls, 3);
});

test('middleware: onResponse is handed the response with a headers object (the handler gave none); in-place changes reach the next hook', async (t) => {
  const seen: PluginResponse[] = [];
  const b = await stepBench([
    { id: 'api', plugin: { handleRequest: () => ({ statusCode: 200, body: { ok: true }, metadata: { m: 1 } }) }, manifest: { endpoints: [{ path: '/x', method: 'GET' }] as never } },
    {
      id: 'outer',
      plugin: {
        onResponse(_q: PluginRequest, res: PluginResponse) {
          seen.push(structuredClone(res));
          return { ...res, headers: { ...res.headers, 'x-outer': '1' } };
        },
      },
      manifest: { kind: 'middleware', middleware: { priority: 2, routes: [] } },
    },
    {
      id: 'inner',
      plugin: {
        onResponse(_q: PluginRequest, res: PluginResponse) {
          seen.push(structuredClone(res));
          res.headers!['x-inner'] = 'in place'; // changed in place, nothing returned
          return undefined;
        },
      },
      manifest: { kind: 'middleware', middleware: { priority: 1, routes: [] } },
    },
  ]);
  t.after(() => b.close());
  const r = await b.request('GET', '/x');
  assert.equal(r.status, 200);
  assert.deepEqual(seen[0], { statusCode: 200, headers: {}, body: { ok: true }, metadata: { m: 1 } }, 'the innermost hook gets headers: {} and everything else as the handler gave it');
  assert.deepEqual(seen[1]!.headers, { 'x-inner': 'in place' }, "the outer hook sees the inner hook's in-place change");
  assert.equal(r.headers['x-outer'], '1');
  assert.equal(r.headers['x-inner'], 'in place', 'the outer hook returned it');
});

test('middleware: the docs pattern ({ ...res, headers: { ...res.headers, k } }) keeps one hidden class per hook across requests (responses and their headers)', async (t) => {
  // %HaveSameMap, from a flag set at run time (it applies to functions compiled after it)
  const { setFlagsFromString } = await import('node:v8');
  setFlagsFromString('--allow-natives-syntax');
  const sameMap = new Function('a', 'b', 'return %HaveSameMap(a, b)') as (a: object, b: object) => boolean;
  setFlagsFromString('--no-allow-natives-syntax');
  const results: PluginResponse[] = [];
  // Two plugins, each with its own code (as two plugin folders are): V8 keeps feedback per function literal.
  // Written out twice on purpose: made by one factory, they would share a literal and not show the quirk.
  const a = {
    id: 'a',
    plugin: {
      async onResponse(_q: PluginRequest, res: PluginResponse) {
        const out = { ...res, headers: { ...res.headers, 'x-a': '1' } };
        results.push(out);
        return out;
      },
    },
    manifest: { kind: 'middleware' as const, middleware: { priority: 1, routes: [] } },
  };
  const outer: PluginResponse[] = [];
  const b2 = {
    id: 'b',
    plugin: {
      async onResponse(_q: PluginRequest, res: PluginResponse) {
        const out = { ...res, headers: { ...res.headers, 'x-b': '1' } };
        outer.push(out);
        return out;
      },
    },
    manifest: { kind: 'middleware' as const, middleware: { priority: 2, routes: [] } },
  };
  const b = await stepBench([route, a, b2]);
  t.after(() => b.close());
  for (let i = 0; i < 600; i++) assert.equal((await b.request('GET', '/x')).status, 200);
  const oneClass = (list: object[]) => list.every((o) => sameMap(o, list[0]!));
  const inner = results.slice(-100);
  assert.ok(oneClass(inner), 'the innermost hook (handed the handler answer, which has no headers) made responses of one hidden class');
  assert.ok(oneClass(inner.map((o) => o.headers!)), 'and headers objects of one hidden class');
  const last = outer.slice(-100);
  assert.ok(oneClass(last.map((o) => o.headers!)), "the outer hook (handed the inner hook's headers, which have keys) made headers objects of one hidden class");
  assert.ok(oneClass(last), 'and responses of one hidden class');
});
