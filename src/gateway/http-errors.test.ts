import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PlugwayError, type ErrorCode, type ParamsOf } from '../errors.js';
import { failure, refuse } from './http-errors.js';

test('refuse() answers what failure(new PlugwayError(…)) does, without building an Error', () => {
  const cases = [
    ['PLW_ERR_ROUTE_NOT_FOUND', { method: 'GET', path: '/nope' }],
    ['PLW_ERR_UNAUTHENTICATED', { reason: 'send Authorization: Bearer <token>' }],
    ['PLW_ERR_RATE_LIMITED', { limit: '5/s', retryAfter: 1 }],
    ['PLW_ERR_CIRCUIT_OPEN', { id: 'p', retryAfter: 30 }],
  ] as const;
  for (const [c, p] of cases) {
    // One code at a time, as callers write them (each with its own params type).
    const code = c as ErrorCode;
    const params = p as unknown as ParamsOf<ErrorCode>;
    assert.deepEqual(refuse(code, params), failure(PlugwayError.rebuilt(code, params)));
    assert.deepEqual(refuse(code, params, { 'retry-after': '1' }, 503), failure(PlugwayError.rebuilt(code, params), { 'retry-after': '1' }, 503));
  }
  assert.equal(refuse('PLW_ERR_ROUTE_NOT_FOUND', { method: 'GET', path: '/x' }).status, 404);
});

test('error params are typed per code: a missing placeholder is a type error, not a literal {id} in a message', () => {
  // @ts-expect-error PLW_ERR_PLUGIN_NOT_FOUND's message names {id}
  const missing = new PlugwayError('PLW_ERR_PLUGIN_NOT_FOUND', {});
  assert.match(missing.message, /\{id\}/, 'what the type check prevents');
  assert.equal(new PlugwayError('PLW_ERR_PLUGIN_NOT_FOUND', { id: 'x' }).message, 'No plugin with id "x"');
});
