// `protocol: websocket` endpoints in plugin.yaml: limits normalized with defaults, bad values refused
// with their path, and a handler serving only WebSockets needs a message hook, not handleRequest.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { missingForKind } from '../sdk/plugin.js';
import { parseManifest } from './index.js';
import { DEFAULT_WEBSOCKET_LIMITS } from './types.js';

test('a websocket endpoint: GET, its limits, defaults for the ones not written', () => {
  const r = parseManifest(
    'id: t\nversion: 1.0.0\nendpoints:\n  - path: /live\n    protocol: websocket\n    auth: required\n    rate_limit: 10/s\n    max_message_bytes: 4096\n    idle_timeout: 30s\n  - path: /plain\n',
  );
  assert.deepEqual(r.errors, []);
  const [ws, plain] = r.manifest!.endpoints;
  assert.equal(ws!.protocol, 'websocket');
  assert.equal(ws!.method, 'GET');
  assert.deepEqual(ws!.websocket, { maxMessageBytes: 4096, idleTimeoutMs: 30_000, maxConnections: DEFAULT_WEBSOCKET_LIMITS.maxConnections });
  assert.equal(ws!.rateLimit?.points, 10);
  assert.equal(plain!.protocol, undefined);
  assert.equal(plain!.websocket, undefined);
});

test('an unknown protocol or a bad limit is refused at its field', () => {
  const r = parseManifest('id: t\nversion: 1.0.0\nendpoints:\n  - path: /live\n    protocol: tcp\n    max_connections: 0\n');
  assert.ok(
    r.errors.some((e) => e.path === 'endpoints[0].protocol'),
    JSON.stringify(r.errors),
  );
  assert.ok(
    r.errors.some((e) => e.path === 'endpoints[0].max_connections'),
    JSON.stringify(r.errors),
  );
});

test('a handler with only websocket endpoints needs onMessage/on_message/onOpen, not handleRequest', () => {
  const wsOnly = [{ protocol: 'websocket' }];
  assert.deepEqual(missingForKind('handler', { on_message() {} }, wsOnly), []);
  assert.deepEqual(missingForKind('handler', { onOpen() {} }, wsOnly), []);
  assert.deepEqual(missingForKind('handler', {}, wsOnly), ['one of onMessage, on_message, onOpen, on_open']);
  assert.deepEqual(missingForKind('handler', { onMessage() {} }, [{ protocol: 'websocket' }, {}]), ['handleRequest']);
});
