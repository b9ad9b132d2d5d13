// HTTP for isolated plugins (wasm's http_request, the process runtime's fetch): one place decides
// which hosts a plugin may reach (its permissions.network, capped by the operator's
// runtimes.fetch.allowed_hosts) and reads a response as a stream, aborted at max_response_bytes.

import { PlugwayError } from '../errors.js';

/** What isolated plugins' HTTP may reach and read (plugway.yaml runtimes.fetch). */
export interface FetchPolicy {
  /** Operator's cap on permissions.network: a plugin reaches a host only if both allow it. */
  allowedHosts: string[];
  /** Largest response body a plugin's fetch may read; the download is aborted there. */
  maxResponseBytes: number;
  /** How long one fetch may take, ms. */
  timeoutMs: number;
}

export const DEFAULT_FETCH_POLICY: FetchPolicy = { allowedHosts: ['*'], maxResponseBytes: 4 * 1024 * 1024, timeoutMs: 30_000 };

/**
 * The policy a runtime's fetches run under: runtimes.fetch (or the default), with the response limit
 * no larger than what the runtime may carry back to the plugin and the timeout no longer than a call.
 */
export function runtimeFetchPolicy(policy: FetchPolicy | undefined, maxResponseBytes: number, callTimeoutMs: number): FetchPolicy {
  const p = policy ?? DEFAULT_FETCH_POLICY;
  return { ...p, maxResponseBytes: Math.min(p.maxResponseBytes, maxResponseBytes), timeoutMs: Math.min(p.timeoutMs, callTimeoutMs) };
}

/** Whether `url` is reachable under permissions.network entries: host, host:port, *.suffix, "*". */
export function hostAllowed(url: URL, allowed: readonly string[]): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = url.port || (url.protocol === 'https:' ? '443' : url.protocol === 'http:' ? '80' : '');
  return allowed.some((entry) => {
    const e = entry.trim().toLowerCase();
    if (e === '*') return true;
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+|\*))?$/.exec(e);
    if (!m) return false;
    const h = m[1]!.replace(/^\[|\]$/g, '');
    const p = m[2];
    const hostOk = h === host || (h.startsWith('*.') && host.endsWith(h.slice(1)));
    return hostOk && (p === undefined || p === '*' || p === port);
  });
}

/**
 * Why a plugin may not fetch `url`, as a coded error, or undefined when it may: http(s) only, a host
 * its manifest was granted (permissions.network) and that the operator allows (runtimes.fetch.allowed_hosts).
 */
export function egressDenial(
  pluginId: string,
  url: URL,
  granted: readonly string[],
  policy: Pick<FetchPolicy, 'allowedHosts'>,
  /** The runtime's code for a host its manifest did not grant. */
  notGranted: 'PLW_ERR_WASM_HOST_DENIED' | 'PLW_ERR_HOST_DENIED' = 'PLW_ERR_WASM_HOST_DENIED',
): PlugwayError | undefined {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return new PlugwayError(notGranted, { id: pluginId, host: `${url.protocol}//${url.host}` });
  if (!hostAllowed(url, granted)) return new PlugwayError(notGranted, { id: pluginId, host: url.host });
  if (!hostAllowed(url, policy.allowedHosts)) return new PlugwayError('PLW_ERR_FETCH_HOST_NOT_ALLOWED', { id: pluginId, host: url.host });
  return undefined;
}

export interface LimitedResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * fetch() read as a stream: past `policy.maxResponseBytes` the download is aborted (the socket
 * closed, nothing more buffered) and PLW_ERR_FETCH_TOO_LARGE is thrown; `signal` ends it too
 * (the plugin's call ended). Redirects are not followed: a 3xx goes back to the plugin.
 */
export async function fetchWithLimit(
  pluginId: string,
  url: URL,
  init: { method: string; headers: Record<string, string>; body?: Buffer | string },
  policy: FetchPolicy,
  signal?: AbortSignal,
): Promise<LimitedResponse> {
  const abort = new AbortController();
  const signals = [abort.signal, AbortSignal.timeout(policy.timeoutMs), ...(signal ? [signal] : [])];
  const res = await fetch(url, { method: init.method, headers: init.headers, ...(init.body ? { body: init.body } : {}), redirect: 'manual', signal: AbortSignal.any(signals) });
  const declared = Number(res.headers.get('content-length') ?? NaN);
  const tooLarge = (size: number) => new PlugwayError('PLW_ERR_FETCH_TOO_LARGE', { id: pluginId, host: url.host, size, limit: policy.maxResponseBytes });
  if (declared > policy.maxResponseBytes) {
    abort.abort();
    throw tooLarge(declared);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  if (res.body) {
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > policy.maxResponseBytes) {
        abort.abort();
        await reader.cancel().catch(() => undefined);
        throw tooLarge(size);
      }
      chunks.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
    }
  }
  const headers: Record<string, string> = {};
  for (const [k, v] of res.headers) headers[k] = v;
  return { status: res.status, headers, body: Buffer.concat(chunks, size) };
}

/** What an isolated plugin asks the host to fetch (wasm's http_request, a process plugin's fetch host call). */
export interface HostFetchRequest {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: Buffer | string | null;
}

export interface HostFetchOptions {
  /** The manifest's permissions.network. */
  granted: readonly string[];
  /** runtimeFetchPolicy(...) of the runtime. */
  policy: FetchPolicy;
  /** The runtime's code for a host its manifest did not grant. */
  notGranted: 'PLW_ERR_WASM_HOST_DENIED' | 'PLW_ERR_HOST_DENIED';
  /** Ends the download (the runtime was disposed). */
  signal?: AbortSignal;
  /** Told of a refused host and of a response over the limit before the error is thrown (events, metrics). */
  onRefused?(error: PlugwayError): void;
}

/**
 * A plugin's HTTP request, made by the host for every isolated runtime: the URL parsed, its host
 * checked (egressDenial), the response read as a stream up to the policy's limit (fetchWithLimit).
 */
export async function hostFetch(pluginId: string, req: HostFetchRequest, opts: HostFetchOptions): Promise<LimitedResponse> {
  let url: URL;
  try {
    url = new URL(String(req?.url));
  } catch {
    throw new PlugwayError('PLW_ERR_BAD_REQUEST', { reason: `fetch: ${String(req?.url)} is not a URL` });
  }
  const denied = egressDenial(pluginId, url, opts.granted, opts.policy, opts.notGranted);
  if (denied) {
    opts.onRefused?.(denied);
    throw denied;
  }
  const body = req.body === undefined || req.body === null || req.body === '' ? undefined : req.body;
  try {
    return await fetchWithLimit(pluginId, url, { method: req.method ?? 'GET', headers: req.headers ?? {}, ...(body !== undefined ? { body } : {}) }, opts.policy, opts.signal);
  } catch (err) {
    if (err instanceof PlugwayError && err.code === 'PLW_ERR_FETCH_TOO_LARGE') opts.onRefused?.(err);
    throw err;
  }
}
