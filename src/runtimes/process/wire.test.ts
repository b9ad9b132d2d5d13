import { test } from 'node:test';
import assert from 'node:assert/strict';
import { camelMethod, decodeFromPlugin, encodeRawCall, encodeToPlugin, fromWireResult, LineReader, ProtocolError, RAW_BODY_MIN_CHARS, snakeMethod } from './wire.js';

const req = { id: 'r', method: 'POST', path: '/x', params: { a: '1' }, query: {}, headers: { h: 'v' }, context: { c: 1 }, body: { b: 2 }, userId: 'u' };

test('method names: camelCase on the host, snake_case on the wire', () => {
  for (const [c, s] of [
    ['handleRequest', 'handle_request'],
    ['selectProvider', 'select_provider'],
    ['init', 'init'],
    ['getMetrics', 'get_metrics'],
  ]) {
    assert.equal(snakeMethod(c!), s);
    assert.equal(camelMethod(s!), c);
  }
});

test('a call carries the Veza field names; a response comes back as a PluginResponse', () => {
  const line = encodeToPlugin({ t: 'call', id: 7, m: 'handleRequest', a: [req] })!;
  assert.ok(line.startsWith('{"type":"call","id":7,') && line.endsWith('\n'));
  const msg = JSON.parse(line);
  assert.equal(msg.method, 'handle_request');
  assert.deepEqual(msg.params[0], { id: 'r', method: 'POST', path: '/x', headers: { h: 'v' }, body: { b: 2 }, user_id: 'u', context: { c: 1 }, params: { a: '1' }, query: {} });
  assert.deepEqual(fromWireResult('handleRequest', { status_code: 201, headers: { x: '1' }, body: 'ok', metadata: { m: 1 } }), {
    statusCode: 201,
    headers: { x: '1' },
    body: 'ok',
    metadata: { m: 1 },
  });
  assert.equal(fromWireResult('onRequest', null), undefined);
  assert.equal(fromWireResult('authenticate', null), null);
  const res = decodeFromPlugin('{"type":"result","id":7,"ok":true,"value":{"status_code":200,"body":{"__plw_u8":"AQID"}}}', () => 'handleRequest');
  assert.deepEqual(res, { t: 'res', id: 7, ok: true, v: { statusCode: 200, body: new Uint8Array([1, 2, 3]) } });
});

test('a long string body goes raw after the call line', () => {
  assert.equal(encodeRawCall({ t: 'call', id: 1, m: 'handleRequest', a: [{ ...req, body: 'short' }] }), undefined);
  const body = 'é'.repeat(RAW_BODY_MIN_CHARS);
  const [line, bytes] = encodeRawCall({ t: 'call', id: 1, m: 'handleRequest', a: [{ ...req, body }] })!;
  const msg = JSON.parse(line);
  assert.equal(msg.raw_body, Buffer.byteLength(body));
  assert.equal(msg.params[0].body, null);
  assert.equal(bytes.toString('utf8'), body);
});

test('anything but the ABI is a ProtocolError', () => {
  for (const bad of ['hello', '[1,2]', '{"type":"nope"}', '{"type":"result"}', '{"type":"host_call","id":1,"op":"fs.read"}']) {
    assert.throws(() => decodeFromPlugin(bad, () => undefined), ProtocolError, bad);
  }
  assert.deepEqual(
    decodeFromPlugin('{"type":"ready","methods":["handle_request","health_check"],"features":["raw_body"]}', () => undefined),
    { t: 'ready', methods: ['handleRequest', 'healthCheck'], features: ['raw_body'] },
  );
  assert.deepEqual(
    decodeFromPlugin('{"type":"log","level":"loud","message":"m","fields":{"a":1}}', () => undefined),
    { t: 'log', l: 'info', o: { a: 1 }, s: 'm' },
  );
});

test('lines: split across chunks and joined; an over-long line stops the reader once', () => {
  const lines: string[] = [];
  const long: number[] = [];
  const r = new LineReader(
    10,
    (l) => lines.push(l),
    (n) => long.push(n),
  );
  r.push(Buffer.from('ab\ncd'));
  r.push(Buffer.from('ef\n\ngh'));
  r.push(Buffer.from('i\n'));
  assert.deepEqual(lines, ['ab', 'cdef', 'ghi']);
  r.push(Buffer.from('0123456789abc'));
  r.push(Buffer.from('more\n'));
  assert.deepEqual(long, [13]);
  assert.deepEqual(lines, ['ab', 'cdef', 'ghi']);
});
