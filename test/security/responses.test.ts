// Items 8-10 of issue 23: what a plugin answers or throws cannot reach the wire raw. A crash text
// stays in the log on every 5xx, a 1xx or an out-of-range status is a coded 502, CR/LF in a
// header value is a coded 502, x-request-id stays the gateway's, and parser errors (400, 431)
// answer in the gateway's JSON shape with a code and the request id.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { http } from '../gateway/helpers.js';
import { gatewayWith, handlerYaml } from './helpers.js';

const SECRET = 'postgres://admin:S3cr3t@db/prod';

/** Sends raw bytes and resolves with everything the server wrote until it closed or went quiet. */
function raw(url: string, bytes: string, responses = 1): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const s = connect(Number(u.port), u.hostname);
    let out = '';
    s.on('data', (d) => {
      out += d;
      // stop after `responses` full responses
      let at = 0;
      for (let n = 0; n < responses; n++) {
        const head = out.indexOf('\r\n\r\n', at);
        const len = head >= 0 ? /content-length: (\d+)/i.exec(out.slice(at, head)) : null;
        if (!len || out.length < head + 4 + Number(len[1])) return;
        at = head + 4 + Number(len[1]);
      }
      s.destroy();
    });
    s.on('close', () => resolve(out));
    s.on('error', reject);
    s.write(bytes);
  });
}

test('a plugin crash text never reaches the client, on any 5xx', async (t) => {
  const gw = await gatewayWith([
    {
      id: 'leaky-worker',
      yaml: handlerYaml('worker', ['/leak/timer', '/leak/throw'], 'resources:\n  timeout: 5s\n'),
      code: `export default { handleRequest(req) {
        if (req.path.endsWith('/throw')) throw new Error(${JSON.stringify(SECRET)});
        setTimeout(() => { throw new Error(${JSON.stringify(SECRET)}); }, 1);
        return new Promise(() => undefined);
      } };`,
    },
    {
      id: 'leaky-mw',
      yaml: `kind: middleware\nruntime:\n  type: inprocess\n  entry: index.mjs\nmiddleware:\n  routes: ['/leak/mw']\n`,
      code: `export default { onRequest() { throw new Error(${JSON.stringify(SECRET)}); } };`,
    },
    { id: 'plain', yaml: handlerYaml('inprocess', ['/leak/mw']), code: `export default { handleRequest() { return { statusCode: 200 }; } };` },
  ]);
  t.after(() => gw.close());
  for (const path of ['/leak/timer', '/leak/throw', '/leak/mw']) {
    const r = await http(`${gw.url}${path}`, { headers: { 'x-request-id': `leak-${path.slice(6)}` } });
    assert.ok(r.status >= 500, `${path}: ${r.status} ${r.text}`);
    assert.equal(typeof r.json?.error?.code, 'string', r.text);
    assert.doesNotMatch(r.text, /S3cr3t|postgres:/, `${path} leaked the plugin's error text: ${r.text}`);
    assert.match(r.json.error.message, /gateway log/);
    assert.equal(r.json.request_id, `leak-${path.slice(6)}`);
  }
  // The operator still finds the reason in the log, under the request id.
  assert.ok(gw.logs.raw.includes('S3cr3t'), 'the reason is logged');
});

test('statuses outside 200-599, CR/LF in header values and x-request-id from a plugin', async (t) => {
  const gw = await gatewayWith(
    [
      {
        id: 'liar',
        yaml: handlerYaml('inprocess', ['/s/101', '/s/199', '/s/600', '/h/crlf', '/h/lf', '/h/nul', '/h/rid', '/h/array']),
        code: `export default { handleRequest(req) {
        const p = req.path;
        if (p.startsWith('/s/')) return { statusCode: Number(p.slice(3)), body: 'x' };
        if (p === '/h/crlf') return { statusCode: 200, headers: { 'x-a': 'ok\\r\\nset-cookie: stolen=1' } };
        if (p === '/h/lf') return { statusCode: 200, headers: { 'x-a': 'ok\\nx-b: 1' } };
        if (p === '/h/nul') return { statusCode: 200, headers: { 'x-a': 'a\\u0000b' } };
        if (p === '/h/array') return { statusCode: 200, headers: { 'x-a': ['fine', 'bad\\r\\nx: y'] } };
        return { statusCode: 200, headers: { 'x-request-id': 'forged', 'X-Request-ID': 'forged2' }, body: 'rid' };
      } };`,
      },
    ],
    (c) => {
      // every answer here breaks the contract: the breaker must not turn them into 503s
      c.gateway.circuitBreaker.failureThreshold = 1000;
    },
  );
  t.after(() => gw.close());
  for (const s of ['101', '199', '600']) {
    const r = await http(`${gw.url}/s/${s}`);
    assert.equal(r.status, 502, `status ${s}: ${r.status} ${r.text}`);
    assert.equal(r.json.error.code, 'PLW_ERR_INVALID_STATUS');
  }
  // On the wire: a 101 would switch protocols on a keep-alive connection.
  const wire = await raw(gw.url, 'GET /s/101 HTTP/1.1\r\nHost: x\r\n\r\n');
  assert.match(wire, /^HTTP\/1\.1 502 /);
  for (const h of ['crlf', 'lf', 'nul', 'array']) {
    const r = await http(`${gw.url}/h/${h}`, { headers: { 'x-request-id': `hdr-${h}` } });
    assert.equal(r.status, 502, `${h}: ${r.status} ${r.text}`);
    assert.equal(r.json.error.code, 'PLW_ERR_INVALID_HEADER');
    assert.equal(r.json.request_id, `hdr-${h}`);
    assert.equal(r.headers.get('set-cookie'), null);
  }
  const rid = await http(`${gw.url}/h/rid`, { headers: { 'x-request-id': 'mine-1' } });
  assert.equal(rid.status, 200);
  assert.equal(rid.headers.get('x-request-id'), 'mine-1');
  const gen = await http(`${gw.url}/h/rid`);
  assert.notEqual(gen.headers.get('x-request-id'), 'forged');
  assert.match(gen.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
});

test("parser errors (400, 431) answer in the gateway's JSON shape with a code and the request id", async (t) => {
  const gw = await gatewayWith([{ id: 'ok', yaml: handlerYaml('inprocess', ['/ok']), code: `export default { handleRequest() { return { statusCode: 200 }; } };` }]);
  t.after(() => gw.close());
  const shaped = (wire: string, status: number, code: string) => {
    assert.match(wire, new RegExp(`^HTTP/1\\.1 ${status} `), wire);
    const body = wire.slice(wire.indexOf('\r\n\r\n') + 4);
    const json = JSON.parse(body);
    assert.equal(json.error.code, code, body);
    assert.equal(typeof json.error.message, 'string');
    assert.match(json.request_id, /^[0-9a-f-]{36}$/);
    assert.match(wire, /content-type: application\/json/i);
    assert.match(wire, /x-request-id: [0-9a-f-]{36}/i);
  };
  shaped(await raw(gw.url, 'GET /ok HTTP/1.1\r\nHost: x\r\nbad header line\r\n\r\n'), 400, 'PLW_ERR_BAD_REQUEST');
  shaped(await raw(gw.url, 'GET /ok HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'), 400, 'PLW_ERR_BAD_REQUEST');
  shaped(await raw(gw.url, `GET /ok HTTP/1.1\r\nHost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`), 431, 'PLW_ERR_HEADERS_TOO_LARGE');
});

test("a request arriving while the gateway closes gets a 503 in the JSON shape, not Fastify's", async (t) => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let entered!: () => void;
  const inFlight = new Promise<void>((r) => (entered = r));
  Object.assign(globalThis, { __plugwayCloseGate: gate, __plugwayCloseEntered: () => entered() });
  const gw = await gatewayWith([
    {
      id: 'slow-close',
      yaml: handlerYaml('inprocess', ['/slow', '/quick']),
      code: `export default { async handleRequest(req) { if (req.path === '/slow') { globalThis.__plugwayCloseEntered(); await globalThis.__plugwayCloseGate; } return { statusCode: 200, body: req.path }; } };`,
    },
  ]);
  let closed = false;
  t.after(async () => {
    release();
    if (!closed) await gw.close();
  });
  // One request in flight keeps the close waiting; a second connection has sent half its headers.
  const first = http(`${gw.url}/slow`);
  await inFlight;
  const u = new URL(gw.url);
  const late = connect(Number(u.port), u.hostname);
  let text = '';
  late.on('data', (d) => (text += d));
  const ended = new Promise<void>((r) => late.once('close', () => r()));
  await new Promise<void>((r) => late.write('GET /quick HTTP/1.1\r\nHost: x\r\nX-Request-Id: late-1\r\n', () => r()));
  const closing = gw.close().then(() => (closed = true));
  // The close has begun (preClose ran, then the listener stopped accepting connections).
  for (let i = 0; i < 1000 && gw.app.server.listening; i++) await new Promise((r) => setImmediate(r));
  assert.equal(gw.app.server.listening, false);
  late.write('\r\n');
  await ended;
  release();
  assert.equal((await first).status, 200);
  await closing;
  assert.match(text, /^HTTP\/1\.1 503 /, text);
  const body = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4));
  assert.equal(body.error.code, 'PLW_ERR_SHUTTING_DOWN');
  assert.equal(body.request_id, 'late-1');
});
