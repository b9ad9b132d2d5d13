import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHost } from '../../src/host/index.js';
import { pino } from 'pino';
import { connect } from 'node:net';
import { waitFor } from '../helpers/wait.js';
import { createGateway } from '../../src/gateway/index.js';
import { isPlugwayError } from '../../src/errors.js';
import { echoPlugin, http, makeHost, startGateway, testConfig, tmpDir } from './helpers.js';

test('manifest endpoints become routes with {param} parameters, methods and query', async (t) => {
  const host = await makeHost([
    { id: 'users', plugin: echoPlugin, manifest: { endpoints: [{ path: '/users/{user_id}/activity', method: 'POST' } as never, { path: '/users', method: 'GET' } as never] } },
  ]);
  const gw = await startGateway(host);
  t.after(() => gw.close());
  const r = await http(`${gw.url}/users/42/activity?x=1&x=2`, { method: 'POST', json: { a: 1 } });
  assert.equal(r.status, 200);
  assert.deepEqual(r.json.params, { user_id: '42' });
  assert.deepEqual(r.json.query, { x: ['1', '2'] });
  assert.deepEqual(r.json.body, { a: 1 });
  assert.equal(r.json.path, '/users/42/activity');
  assert.equal((await http(`${gw.url}/users`)).status, 200);
  const wrongMethod = await http(`${gw.url}/users/42/activity`);
  assert.equal(wrongMethod.status, 404);
  assert.equal(wrongMethod.json.error.code, 'PLW_ERR_ROUTE_NOT_FOUND');
});

test('text and bytes bodies reach the plugin; text and bytes responses go back', async (t) => {
  const host = await makeHost([
    {
      id: 'kinds',
      plugin: {
        handleRequest(req: { body: unknown; query: { as?: string } }) {
          if (req.query.as === 'bytes') return { statusCode: 200, body: new Uint8Array([1, 2, 3]) };
          const b = req.body;
          return { statusCode: 201, headers: { 'x-kind': b instanceof Uint8Array ? 'bytes' : typeof b }, body: typeof b === 'string' ? `got ${b}` : 'other' };
        },
      },
      manifest: { endpoints: [{ path: '/kinds', method: 'POST' } as never] },
    },
  ]);
  const gw = await startGateway(host);
  t.after(() => gw.close());
  const text = await http(`${gw.url}/kinds`, { method: 'POST', body: 'hi', headers: { 'content-type': 'text/plain' } });
  assert.equal(text.status, 201);
  assert.equal(text.text, 'got hi');
  assert.equal(text.headers.get('x-kind'), 'string');
  assert.match(text.headers.get('content-type')!, /^text\/plain/);
  const bytes = await http(`${gw.url}/kinds`, { method: 'POST', body: new Uint8Array([9]), headers: { 'content-type': 'application/x-thing' } });
  assert.equal(bytes.headers.get('x-kind'), 'bytes');
  const r = await fetch(`${gw.url}/kinds?as=bytes`, { method: 'POST' });
  assert.equal(r.headers.get('content-type'), 'application/octet-stream');
  assert.deepEqual([...new Uint8Array(await r.arrayBuffer())], [1, 2, 3]);
});

test("a plugin claiming the gateway's own paths (/metrics, /admin/…) is a start-up error; a prefix resolves it", async () => {
  for (const path of ['/metrics', '/health/', '/admin/x/secret', '/admin/plugins/{id}', '/dashboard']) {
    const host = await makeHost([{ id: 'squatter', plugin: echoPlugin, manifest: { endpoints: [{ path, method: 'GET' } as never] } }]);
    await assert.rejects(createGateway({ host, stateDir: await tmpDir(), env: {} }), (e) => {
      assert.ok(isPlugwayError(e, 'PLW_ERR_ROUTE_CONFLICT'), String(e));
      assert.match(e.message, /plugway itself/);
      assert.match(e.message, /squatter/);
      return true;
    });
  }
  const host = await makeHost(
    [{ id: 'squatter', plugin: echoPlugin, manifest: { endpoints: [{ path: '/admin/x', method: 'GET' } as never] } }],
    testConfig((c) => {
      c.plugins.configs.squatter = { enabled: true, config: {}, dependencies: [], roles: [], required: true, flags: {}, prefix: '/squat' };
    }),
  );
  const gw = await startGateway(host);
  try {
    assert.equal((await http(`${gw.url}/squat/admin/x`)).status, 200);
    assert.notEqual((await http(`${gw.url}/admin/x`)).status, 200, 'the plugin does not answer under /admin');
  } finally {
    await gw.close();
  }
});

test('two plugins claiming the same route is a start-up error naming both; a prefix resolves it', async () => {
  const plugins = [
    { id: 'first', plugin: echoPlugin, manifest: { endpoints: [{ path: '/items/{id}', method: 'GET' } as never] } },
    { id: 'second', plugin: echoPlugin, manifest: { endpoints: [{ path: '/items/{item}', method: 'GET' } as never] } },
  ];
  const host = await makeHost(plugins);
  await assert.rejects(createGateway({ host, stateDir: await tmpDir(), env: {} }), (e) => {
    assert.ok(isPlugwayError(e, 'PLW_ERR_ROUTE_CONFLICT'));
    assert.match(e.message, /first/);
    assert.match(e.message, /second/);
    assert.match(e.message, /prefix/);
    return true;
  });
  const host2 = await makeHost(
    plugins,
    testConfig((c) => {
      c.plugins.configs.second = { enabled: true, config: {}, dependencies: [], roles: [], required: true, flags: {}, prefix: '/v2' };
    }),
  );
  const gw = await startGateway(host2);
  try {
    assert.deepEqual((await http(`${gw.url}/items/1`)).json.params, { id: '1' });
    const r = await http(`${gw.url}/v2/items/7`);
    assert.deepEqual(r.json.params, { item: '7' });
    assert.equal(r.json.path, '/v2/items/7');
  } finally {
    await gw.close();
  }
});

test('request id: accepted from X-Request-Id or generated, always echoed', async (t) => {
  const host = await makeHost([{ id: 'e', plugin: echoPlugin, manifest: { endpoints: [{ path: '/e', method: 'GET' } as never] } }]);
  const gw = await startGateway(host);
  t.after(() => gw.close());
  const given = await http(`${gw.url}/e`, { headers: { 'x-request-id': 'req-123' } });
  assert.equal(given.headers.get('x-request-id'), 'req-123');
  const made = await http(`${gw.url}/e`);
  assert.match(made.headers.get('x-request-id')!, /^[0-9a-f-]{36}$/);
  const nf = await http(`${gw.url}/nope`, { headers: { 'x-request-id': 'req-404' } });
  assert.equal(nf.status, 404);
  assert.equal(nf.json.request_id, 'req-404');
});

test('/health answers; /ready waits for required plugins', async (t) => {
  const host = createHost({ config: testConfig(), logger: pino({ level: 'silent' }) });
  host.registerBuiltin('ok', echoPlugin, {});
  host.registerBuiltin(
    'broken',
    {
      init() {
        throw new Error('no db');
      },
      handleRequest: echoPlugin.handleRequest,
    },
    {},
  );
  await host.start();
  const gw = await startGateway(host);
  t.after(() => gw.close());
  assert.equal((await http(`${gw.url}/health`)).json.status, 'ok');
  const ready = await http(`${gw.url}/ready`);
  assert.equal(ready.status, 503);
  assert.deepEqual(
    ready.json.waiting.map((w: { id: string }) => w.id),
    ['broken'],
  );
});

test('answers written together at the end of the turn (write-batch.ts) each reach their own request: concurrent and pipelined', async (t) => {
  const host = await makeHost([
    {
      id: 'slow',
      plugin: {
        // answers come back in a scrambled order across turns of the event loop
        async handleRequest(req: { params: { n: string } }) {
          for (let i = Number(req.params.n) % 3; i > 0; i--) await new Promise((r) => setImmediate(r));
          return { statusCode: 200, headers: { 'x-n': req.params.n }, body: { n: Number(req.params.n) } };
        },
      },
      manifest: { endpoints: [{ path: '/n/{n}', method: 'GET' } as never] },
    },
  ]);
  const gw = await startGateway(host);
  t.after(() => gw.close());
  const answers = await Promise.all(Array.from({ length: 60 }, (_, n) => http(`${gw.url}/n/${n}`, { headers: { 'x-request-id': `r-${n}` } })));
  answers.forEach((r, n) => {
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { n });
    assert.equal(r.headers.get('x-n'), String(n));
    assert.equal(r.headers.get('x-request-id'), `r-${n}`);
  });

  // pipelined on one connection: node:http keeps the order, whatever turn each answer is written in
  const { port } = new URL(gw.url);
  const sock = connect(Number(port), '127.0.0.1');
  t.after(() => sock.destroy());
  let got = '';
  sock.setEncoding('latin1');
  sock.on('data', (d) => (got += d));
  sock.write([2, 1, 0, 5, 4].map((n) => `GET /n/${n} HTTP/1.1\r\nHost: x\r\n\r\n`).join(''));
  await waitFor(() => (got.match(/HTTP\/1\.1 200/g) ?? []).length === 5, { what: 'five pipelined answers' });
  await waitFor(() => got.endsWith('{"n":4}'), { what: 'the last body' });
  assert.deepEqual(
    [...got.matchAll(/\{"n":(\d+)\}/g)].map((m) => Number(m[1])),
    [2, 1, 0, 5, 4],
  );
});
