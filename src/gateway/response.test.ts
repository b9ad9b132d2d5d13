import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { isPlugwayError } from '../errors.js';
import { checkResponse } from './response.js';

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (err) {
    return isPlugwayError(err) ? err.code : 'not a PlugwayError';
  }
  return undefined;
};

test('checkResponse lowers header names, takes Content-Type out and drops framing headers, every time a name comes back', () => {
  for (let round = 0; round < 3; round++) {
    // the second and third rounds meet every name again (a name is checked and lowered once)
    const wire = checkResponse(
      'p',
      { statusCode: 200, headers: { 'X-Trace': 'a', 'Content-Type': 'text/html', 'Content-Length': '3', Connection: 'close', 'X-Request-Id': 'mine', 'set-cookie': ['a=1', 'b=2'] }, body: 'abc' },
      1000,
    );
    assert.deepEqual(wire.headers, { 'x-trace': 'a', 'set-cookie': ['a=1', 'b=2'] });
    assert.equal(wire.contentType, 'text/html');
    assert.equal(wire.payload, 'abc');
  }
});

test('a streamed body keeps the Content-Length its sender stated; an array Content-Length is dropped', () => {
  const body = new PassThrough();
  assert.deepEqual(checkResponse('p', { statusCode: 200, headers: { 'Content-Length': '10' }, body }, 1000).headers, { 'content-length': '10' });
  assert.deepEqual(checkResponse('p', { statusCode: 200, headers: { 'content-length': ['1', '2'] }, body }, 1000).headers, {});
  body.destroy();
});

test('bad header names and values are refused whether or not the name was seen before', () => {
  checkResponse('p', { statusCode: 200, headers: { 'x-ok': '1' } }, 1000);
  assert.equal(
    codeOf(() => checkResponse('p', { statusCode: 200, headers: { 'x-ok': 'a\r\nb' } }, 1000)),
    'PLW_ERR_INVALID_HEADER',
  );
  assert.equal(
    codeOf(() => checkResponse('p', { statusCode: 200, headers: { 'x-ok': ['a', 'b\n'] } }, 1000)),
    'PLW_ERR_INVALID_HEADER',
  );
  assert.equal(
    codeOf(() => checkResponse('p', { statusCode: 200, headers: { 'bad name': '1' } }, 1000)),
    'PLW_ERR_INVALID_RESPONSE',
  );
  assert.equal(
    codeOf(() => checkResponse('p', { statusCode: 200, headers: { 'x-ok': 5 } }, 1000)),
    'PLW_ERR_INVALID_RESPONSE',
  );
  assert.equal(
    codeOf(() => checkResponse('p', { statusCode: 200, headers: { Connection: 5 } }, 1000)),
    'PLW_ERR_INVALID_RESPONSE',
  );
});

test('a middleware answer that keeps the checked headers and body reuses them; a changed value is checked again', () => {
  const first = { statusCode: 200, headers: { 'x-a': '1' }, body: { hello: 'world' } };
  const wire = checkResponse('handler', first, 1000);
  const next = { ...first, headers: { ...first.headers, 'X-B': '2' } };
  const w2 = checkResponse('mw', next, 1000, first, wire);
  assert.deepEqual(w2.headers, { 'x-a': '1', 'x-b': '2' });
  assert.equal(w2.pending, wire.pending, 'the JSON body is the one checked before, still named after the handler');
  const bad = { ...first, headers: { 'x-a': '1\n' } };
  assert.equal(
    codeOf(() => checkResponse('mw', bad, 1000, first, wire)),
    'PLW_ERR_INVALID_HEADER',
  );
});

test('after a plugin invents more header names than the name cache holds, names are still checked and lowered', () => {
  for (let i = 0; i < 5000; i++) checkResponse('p', { statusCode: 200, headers: { [`x-n-${i}`]: '1' } }, 1000);
  const wire = checkResponse('p', { statusCode: 200, headers: { 'X-N-1': '1' } }, 1000);
  assert.deepEqual(wire.headers, { 'x-n-1': '1' });
  assert.equal(
    codeOf(() => checkResponse('p', { statusCode: 200, headers: { 'x n': '1' } }, 1000)),
    'PLW_ERR_INVALID_RESPONSE',
  );
});
