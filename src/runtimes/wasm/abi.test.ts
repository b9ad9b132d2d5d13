import { test } from 'node:test';
import assert from 'node:assert/strict';
import { endpointFunction, hostAllowed, implementedMethods, rawInput } from './abi.js';
import type { EndpointSpec } from '../../manifest/types.js';

const ep = (method: EndpointSpec['method'], path: string, fn?: string): EndpointSpec => ({ method, path, auth: 'none', roles: [], permissions: [], ...(fn ? { function: fn } : {}) });

test('an endpoint naming a function is matched by method and path template (prefix allowed)', () => {
  const eps = [ep('POST', '/vowels', 'count_vowels'), ep('GET', '/users/{id}/top', 'top'), ep('GET', '/users/{id}/top/extra')];
  assert.equal(endpointFunction({ method: 'POST', path: '/vowels' }, eps), 'count_vowels');
  assert.equal(endpointFunction({ method: 'post', path: '/api/v1/vowels' }, eps), 'count_vowels');
  assert.equal(endpointFunction({ method: 'GET', path: '/vowels' }, eps), undefined);
  assert.equal(endpointFunction({ method: 'GET', path: '/users/u1/top' }, eps), 'top');
  assert.equal(endpointFunction({ method: 'GET', path: '/users/u1/top/extra' }, eps), undefined);
  assert.equal(endpointFunction({ method: 'GET', path: '/users/a/b/top' }, eps), undefined);
});

test('methods follow the exports; function endpoints make handleRequest available', () => {
  assert.deepEqual(implementedMethods(['handle_request', 'health_check', 'memory'], []), ['healthCheck', 'handleRequest']);
  assert.deepEqual(implementedMethods(['count_vowels'], [ep('POST', '/v', 'count_vowels')]), ['handleRequest']);
  assert.deepEqual(implementedMethods(['count_vowels'], []), []);
});

test('hosts: exact host, host:port, wildcard subdomains; nothing by default', () => {
  const u = (s: string) => new URL(s);
  assert.equal(hostAllowed(u('http://127.0.0.1:8080/x'), []), false);
  assert.equal(hostAllowed(u('http://127.0.0.1:8080/x'), ['127.0.0.1:8080']), true);
  assert.equal(hostAllowed(u('http://127.0.0.1:8081/x'), ['127.0.0.1:8080']), false);
  assert.equal(hostAllowed(u('http://127.0.0.1:9/x'), ['127.0.0.1']), true);
  assert.equal(hostAllowed(u('https://api.example.com/x'), ['*.example.com']), true);
  assert.equal(hostAllowed(u('https://example.com.evil.io/x'), ['*.example.com']), false);
  assert.equal(hostAllowed(u('https://api.example.com/x'), ['api.example.com:443']), true);
  assert.equal(hostAllowed(u('http://[::1]:80/x'), ['[::1]:80']), true);
});

test('raw input: strings and bytes as is, objects as JSON, nothing as empty', () => {
  assert.equal(rawInput('hi'), 'hi');
  assert.deepEqual(rawInput(new Uint8Array([1])), new Uint8Array([1]));
  assert.equal(rawInput({ a: 1 }), '{"a":1}');
  assert.equal(rawInput(undefined), '');
});

test('WebSocket hooks: on_open/on_message/on_close exports; input {conn, data|dataBase64|code}; output actions or text', async () => {
  const { websocketAnswer, websocketInput } = await import('./abi.js');
  assert.deepEqual(implementedMethods(['on_message', 'on_close'], []), ['onMessage', 'onClose']);
  const conn = { id: 'c1', path: '/chat/r', params: { room: 'r' }, query: {}, version: '1.0.0', rooms: ['r'] };
  assert.deepEqual(JSON.parse(websocketInput('onOpen', [conn])), { conn });
  assert.deepEqual(JSON.parse(websocketInput('onMessage', [conn, 'hi'])), { conn, data: 'hi' });
  assert.deepEqual(JSON.parse(websocketInput('onMessage', [conn, new Uint8Array([1, 2, 255])])), { conn, dataBase64: 'AQL/' });
  assert.deepEqual(JSON.parse(websocketInput('onClose', [conn, 1001])), { conn, code: 1001 });
  assert.equal(websocketAnswer(''), undefined);
  assert.equal(websocketAnswer('  \n'), undefined);
  assert.equal(websocketAnswer('plain'), 'plain');
  assert.equal(websocketAnswer('{"echo":1}'), '{"echo":1}', 'JSON without actions is sent as the module wrote it');
  const out = websocketAnswer('{"actions":[{"op":"join","room":"r"},{"op":"send","dataBase64":"AQL/"},{"op":"broadcast","room":"r","data":{"x":1},"exceptSelf":true}]}') as { actions: any[] };
  assert.deepEqual(out.actions[0], { op: 'join', room: 'r' });
  assert.deepEqual(out.actions[1], { op: 'send', data: new Uint8Array([1, 2, 255]) });
  assert.deepEqual(out.actions[2], { op: 'broadcast', room: 'r', data: { x: 1 }, exceptSelf: true });
});
