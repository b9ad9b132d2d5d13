// Maps anything that went wrong on a request to a status and the JSON error body
// `{ error: { code, message }, request_id }` — never a stack trace.

import { describeError, isPlugwayError, PlugwayError, reasonOf, type ErrorCode, type ErrorParams } from '../errors.js';

export interface HttpFailure {
  status: number;
  code: string;
  message: string;
  headers?: Record<string, string>;
}

export function failure(err: PlugwayError, headers?: Record<string, string>, status = err.status): HttpFailure {
  return headers ? { status, code: err.code, message: err.message, headers } : { status, code: err.code, message: err.message };
}

/**
 * A refusal the gateway answers itself (404, 401, 403, 429, 503…): the same code, message and status
 * as failure(new PlugwayError(code, params)), without building an Error. Capturing an Error's stack
 * cost ~9 µs here, which made a flood of refused requests twice as costly as served ones.
 */
export function refuse(code: ErrorCode, params: ErrorParams, headers?: Record<string, string>, status?: number): HttpFailure {
  const d = describeError(code, params);
  const f: HttpFailure = { status: status ?? d.status, code, message: d.message };
  if (headers) f.headers = headers;
  return f;
}

/** Errors a plugin call can end with; anything unknown is an internal error. */
export function failureFromCall(err: unknown): HttpFailure {
  if (isPlugwayError(err)) {
    // an error that knows when to come back says so (an upstream set that is all down)
    const after = err.params.retryAfter;
    return after === undefined || after === null ? failure(err) : failure(err, { 'retry-after': String(after) });
  }
  return refuse('PLW_ERR_INTERNAL', { reason: reasonOf(err) });
}

/** Errors Fastify raises before our handler (body parsing and limits). */
export function failureFromFastify(err: { code?: string; statusCode?: number; message?: string }, bodyLimit: number): HttpFailure {
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE' || err.statusCode === 413) {
    return refuse('PLW_ERR_BODY_TOO_LARGE', { limit: bodyLimit });
  }
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
    const reason = err.code === 'FST_ERR_CTP_INVALID_JSON' || err.message?.includes('JSON') ? `body is not valid JSON (${err.message})` : (err.message ?? 'bad request');
    const f = refuse('PLW_ERR_BAD_REQUEST', { reason });
    return err.statusCode === 400 ? f : { ...f, status: err.statusCode };
  }
  return refuse('PLW_ERR_INTERNAL', { reason: err.message ?? 'unknown' });
}

/** Whether a failed plugin call counts against its circuit breaker. */
export function countsAsPluginFailure(code: string, status: number): boolean {
  if (status < 500) return false;
  return code !== 'PLW_ERR_PLUGIN_NOT_RUNNING' && code !== 'PLW_ERR_PLUGIN_DISABLED' && code !== 'PLW_ERR_CIRCUIT_OPEN' && code !== 'PLW_ERR_BULKHEAD_FULL';
}

export function errorBody(f: HttpFailure, requestId: string): string {
  return JSON.stringify({ error: { code: f.code, message: f.message }, request_id: requestId });
}
