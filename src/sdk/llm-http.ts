// Helpers for provider plugins that call an HTTP API: an upstream failure as ProviderFailure data
// (status, Retry-After, timeout, connect, cut), the same for every provider and any HTTP client.

import type { ProviderFailure } from './llm.js';

/** Retry-After as seconds: a number of seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterSec(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(v.trim())) return Math.max(0, Number(v));
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, Math.ceil((t - now) / 1000));
}

/** An error status from the upstream, with its body (parsed when JSON) and Retry-After. */
export function httpFailure(provider: string, status: number, headers: Record<string, string | string[] | undefined>, bodyText: string): ProviderFailure {
  let body: unknown = bodyText;
  try {
    body = bodyText ? JSON.parse(bodyText) : undefined;
  } catch {
    // not JSON: kept as text
  }
  const upstreamMessage = (body as { error?: { message?: unknown } } | undefined)?.error?.message;
  const message = `${provider} answered ${status}${typeof upstreamMessage === 'string' ? `: ${upstreamMessage}` : ''}`;
  const retry = retryAfterSec(headers['retry-after']);
  return { error: { type: 'http', status, message, body, ...(retry !== undefined ? { retryAfterSec: retry } : {}) } };
}

const CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT', 'ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);
const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT', 'ABORT_ERR', 'UND_ERR_ABORTED']);

/**
 * A thrown client error as a failure: `connect` when no answer could start (refused, reset,
 * DNS), `timeout` when the upstream was too slow (or the call's deadline aborted it).
 */
export function transportFailure(provider: string, err: unknown): ProviderFailure {
  const e = err as { code?: string; name?: string; message?: string; cause?: { code?: string } };
  const code = e?.code ?? e?.cause?.code ?? '';
  const reason = e?.message ?? String(err);
  if (TIMEOUT_CODES.has(code) || e?.name === 'TimeoutError' || e?.name === 'AbortError') return { error: { type: 'timeout', message: `${provider} timed out: ${reason}` } };
  if (CONNECT_CODES.has(code)) return { error: { type: 'connect', message: `${provider} unreachable: ${reason}` } };
  return { error: { type: 'connect', message: `${provider} call failed: ${reason}` } };
}

export function isProviderFailure(x: unknown): x is ProviderFailure {
  return x !== null && typeof x === 'object' && 'error' in x && typeof (x as ProviderFailure).error?.type === 'string';
}
