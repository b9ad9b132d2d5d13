// The errors a diagnostics plugin throws and answers with: plain Errors carrying plugway's stable
// codes (PLW_ERR_*) with the status of the one catalogue (src/errors.ts, re-exported here so a
// plugin that imports only plugway/sdk reads the same codes and statuses).
import { ERRORS, type ErrorCode } from '../errors.js';
import type { PluginResponse } from './types.js';

export { ERRORS, describeError, type ErrorCode } from '../errors.js';

/** A code's HTTP status as the catalogue answers it (500 for a code it does not know). */
function statusOf(code: string): number {
  return (ERRORS as Record<string, { status?: number }>)[code]?.status ?? 500;
}

export class DiagnosticsError extends Error {
  readonly code: ErrorCode | string;
  /** The code's status (500 for a code not in the table) unless `options.status` says otherwise. */
  readonly status: number;
  constructor(code: string, message: string, options: { status?: number; cause?: unknown } = {}) {
    super(message, 'cause' in options ? { cause: options.cause } : undefined);
    this.name = 'DiagnosticsError';
    this.code = code;
    this.status = options.status ?? statusOf(code);
  }
}

/** The message of an error; its code or name when the message is empty (e.g. an AggregateError from connect). */
export function errorReason(err: unknown): string {
  if (err instanceof Error) return err.message || (err as { code?: string }).code || err.name;
  return String(err);
}

/** PLW_ERR_DIAG_CONNECT (502): `target` is the printable target, `reason` defaults to the error's. */
export function connectError(target: string, err: unknown, reason = errorReason(err)): DiagnosticsError {
  return new DiagnosticsError('PLW_ERR_DIAG_CONNECT', `Cannot connect to ${target}: ${reason}`, { cause: err });
}

/** PLW_ERR_DIAG_BAD_TARGET (400): `raw` is what was given, `system` e.g. "redis". */
export function badTargetError(system: string, raw: string, reason: string): DiagnosticsError {
  return new DiagnosticsError('PLW_ERR_DIAG_BAD_TARGET', `"${raw}" is not a valid ${system} target: ${reason}`);
}

/** PLW_ERR_DIAG_NOT_CONNECTED (409): diagnose(), getMetrics() or execute() before connect(). */
export function notConnectedError(pluginId: string): DiagnosticsError {
  return new DiagnosticsError('PLW_ERR_DIAG_NOT_CONNECTED', `Plugin ${pluginId} is not connected; call connect(target) first`);
}

/**
 * The HTTP answer for an error: a coded error (PLW_ERR_* with a status, such as a DiagnosticsError)
 * with its own status and code; anything else is the target's failure, 502 PLW_ERR_DIAG_CONNECT.
 */
export function errorResponse(err: unknown): PluginResponse {
  const e = err as { code?: unknown; status?: unknown } | undefined;
  const coded = typeof e?.code === 'string' && e.code.startsWith('PLW_ERR_') && typeof e.status === 'number';
  const code = coded ? (e.code as string) : 'PLW_ERR_DIAG_CONNECT';
  return { statusCode: coded ? (e.status as number) : 502, body: { error: { code, message: errorReason(err) } } };
}
