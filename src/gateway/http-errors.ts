// Maps anything that went wrong on a request to a status and the JSON error body
// `{ error: { code, message }, request_id }` — never a stack trace.

import { describeError, isPlugwayError, PlugwayError, reasonOf, type ErrorCode, type ParamsOf } from '../errors.js';

export interface HttpFailure {
  status: number;
  code: string;
  message: string;
  headers?: Record<string, string>;
  /** Already written to the log with its full message (the plugin call's failure path does). */
  logged?: boolean;
}

/**
 * 5xx codes whose message the gateway composes from its own facts (ids, limits, states): they reach
 * the client as they are. Every other 5xx may carry what a plugin threw or printed (a connection
 * string, a query) and is answered with a generic message; the log keeps the reason.
 */
const OWN_TEXT: ReadonlySet<string> = new Set([
  'PLW_ERR_PLUGIN_TIMEOUT',
  'PLW_ERR_CIRCUIT_OPEN',
  'PLW_ERR_BULKHEAD_FULL',
  'PLW_ERR_PLUGIN_NOT_RUNNING',
  'PLW_ERR_PLUGIN_DISABLED',
  'PLW_ERR_RESPONSE_TOO_LARGE',
  'PLW_ERR_INVALID_RESPONSE',
  'PLW_ERR_INVALID_STATUS',
  'PLW_ERR_INVALID_HEADER',
  'PLW_ERR_WORKER_OUT_OF_MEMORY',
  'PLW_ERR_WORKER_EXITED',
  'PLW_ERR_WORKER_TERMINATED',
  'PLW_ERR_PLUGIN_LOAD_TIMEOUT',
  'PLW_ERR_WASM_MEMORY_LIMIT',
  'PLW_ERR_WASM_HOST_MEMORY_LIMIT',
  'PLW_ERR_METHOD_NOT_IMPLEMENTED',
  'PLW_ERR_DEPENDENCY_FAILED',
  'PLW_ERR_SERVICE_UNAVAILABLE',
  'PLW_ERR_BODY_TOO_LARGE',
]);

/** Whether a failure's message may carry a plugin's own text and must not reach the client. */
export function carriesPluginText(f: HttpFailure): boolean {
  return f.status >= 500 && !OWN_TEXT.has(f.code);
}

/** The failure as the client sees it: a plugin's own text replaced by a pointer to the log. */
export function clientFailure(f: HttpFailure, pluginId: string): HttpFailure {
  if (!carriesPluginText(f)) return f;
  return { ...f, message: `Plugin ${pluginId} failed while handling the request (${f.code}); the gateway log has the reason under this request id` };
}

export function failure(err: PlugwayError, headers?: Record<string, string>, status = err.status): HttpFailure {
  return headers ? { status, code: err.code, message: err.message, headers } : { status, code: err.code, message: err.message };
}

/**
 * A refusal the gateway answers itself (404, 401, 403, 429, 503…): the same code, message and status
 * as failure(new PlugwayError(code, params)), without building an Error. Capturing an Error's stack
 * cost ~9 µs here, which made a flood of refused requests twice as costly as served ones.
 */
export function refuse<C extends ErrorCode>(code: C, params: ParamsOf<C>, headers?: Record<string, string>, status?: number): HttpFailure {
  const d = describeError(code, params);
  const f: HttpFailure = { status: status ?? d.status, code, message: d.message };
  if (headers) f.headers = headers;
  return f;
}

/** Errors a plugin call can end with; anything unknown is an internal error. */
export function failureFromCall(err: unknown): HttpFailure {
  if (isPlugwayError(err)) {
    // an error that knows when to come back says so (a restarting worker, an upstream set that is all down)
    const after = err.code === 'PLW_ERR_WORKER_RESTARTING' ? (err.params.retryAfter ?? 1) : err.params.retryAfter;
    return after === undefined || after === null ? failure(err) : failure(err, { 'retry-after': String(after) });
  }
  return refuse('PLW_ERR_INTERNAL', { reason: reasonOf(err) });
}

/** Errors Fastify raises before our handler (body parsing and limits). */
export function failureFromFastify(err: { code?: string; statusCode?: number; message?: string }, bodyLimit: number): HttpFailure {
  // The gateway's own hooks (connection limits, the body idle guard) fail with coded errors.
  if (err instanceof PlugwayError) return failure(err);
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
  return code !== 'PLW_ERR_PLUGIN_NOT_RUNNING' && code !== 'PLW_ERR_WORKER_RESTARTING' && code !== 'PLW_ERR_PLUGIN_DISABLED' && code !== 'PLW_ERR_CIRCUIT_OPEN' && code !== 'PLW_ERR_BULKHEAD_FULL';
}

export function errorBody(f: HttpFailure, requestId: string): string {
  return JSON.stringify({ error: { code: f.code, message: f.message }, request_id: requestId });
}
