import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PlugwayError } from '../errors.js';
import { failure, refuse } from './http-errors.js';

test('refuse() answers what failure(new PlugwayError(…)) does, without building an Error', () => {
  const cases = [
    ['PLW_ERR_ROUTE_NOT_FOUND', { method: 'GET', path: '/nope' }],
    ['PLW_ERR_UNAUTHENTICATED', { reason: 'send Authorization: Bearer <token>' }],
    ['PLW_ERR_RATE_LIMITED', { limit: '5/s', retryAfter: 1 }],
    ['PLW_ERR_CIRCUIT_OPEN', { id: 'p', retryAfter: 30 }],
  ] as const;
  for (const [code, params] of cases) {
    assert.deepEqual(refuse(code, params), failure(new PlugwayError(code, params)));
    assert.deepEqual(refuse(code, params, { 'retry-after': '1' }, 503), failure(new PlugwayError(code, params), { 'retry-after': '1' }, 503));
  }
  assert.equal(refuse('PLW_ERR_ROUTE_NOT_FOUND', { method: 'GET', path: '/x' }).status, 404);
});
