// One catalogue: a diagnostics plugin's errors (plugway/sdk) carry the statuses src/errors.ts gives their codes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PlugwayError } from '../errors.js';
import { DiagnosticsError, ERRORS } from './diagnostics-errors.js';

test('DiagnosticsError and PlugwayError agree on every code the SDK answers with', () => {
  for (const code of [
    'PLW_ERR_DIAG_CONNECT',
    'PLW_ERR_DIAG_NOT_CONNECTED',
    'PLW_ERR_DIAG_BAD_TARGET',
    'PLW_ERR_DIAG_BAD_REQUEST',
    'PLW_ERR_BAD_REQUEST',
    'PLW_ERR_ACTION_NOT_ALLOWED',
    'PLW_ERR_ACTION_DESTRUCTIVE',
  ] as const) {
    assert.equal(new DiagnosticsError(code, 'x').status, PlugwayError.rebuilt(code, {}).status, code);
    assert.equal(new DiagnosticsError(code, 'x').status, ERRORS[code].status, code);
  }
  assert.equal(new DiagnosticsError('PLW_ERR_DIAG_CONNECT', 'x').status, 502);
  assert.equal(new DiagnosticsError('PLW_ERR_DIAG_NOT_CONNECTED', 'x').status, 409);
});
